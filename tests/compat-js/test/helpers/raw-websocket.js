// A minimal WebSocket client over a plain TCP socket that exposes every frame as it is on the wire (FIN bit,
// opcode, mask bit, payload), for checks that a WebSocket library hides: for example that a message is one frame.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { withTimeout } from './client.js';

export class RawWebSocket {
  static async connect(port, path, { ms = 5_000 } = {}) {
    const socket = net.connect(port, '127.0.0.1');
    const raw = new RawWebSocket(socket);
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: raw-frame-client\r\n\r\n`,
    );
    raw.head = await withTimeout(raw.handshake, ms, 'the raw WebSocket handshake');
    if (!/^HTTP\/1\.1 101 /.test(raw.head)) {
      socket.destroy();
      throw new Error(`Handshake refused: ${raw.head.split('\r\n')[0]}`);
    }
    return raw;
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.frames = [];
    this.waiters = [];
    this.handshake = new Promise((resolveHead, reject) => {
      this.resolveHead = resolveHead;
      socket.once('error', reject);
    });
    this.upgraded = false;
    socket.on('data', (chunk) => this.onData(chunk));
  }

  onData(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.upgraded) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        return;
      }
      this.upgraded = true;
      const head = this.buffer.subarray(0, end).toString('latin1');
      this.buffer = this.buffer.subarray(end + 4);
      this.resolveHead(head);
    }
    for (;;) {
      const frame = this.parseFrame();
      if (!frame) {
        return;
      }
      const waiter = this.waiters.shift();
      if (waiter) {
        waiter(frame);
      } else {
        this.frames.push(frame);
      }
    }
  }

  parseFrame() {
    const b = this.buffer;
    if (b.length < 2) {
      return null;
    }
    let length = b[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const masked = (b[1] & 0x80) !== 0;
    const maskOffset = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) {
      return null;
    }
    const payload = Buffer.from(b.subarray(offset, offset + length));
    if (masked) {
      for (let i = 0; i < payload.length; i++) payload[i] ^= b[maskOffset + (i % 4)];
    }
    this.buffer = b.subarray(offset + length);
    return { fin: (b[0] & 0x80) !== 0, rsv: (b[0] >> 4) & 0x07, opcode: b[0] & 0x0f, masked, payload };
  }

  /** The next frame from the server. */
  nextFrame(ms = 5_000) {
    if (this.frames.length > 0) {
      return Promise.resolve(this.frames.shift());
    }
    return withTimeout(new Promise((resolveFrame) => this.waiters.push(resolveFrame)), ms, 'a WebSocket frame');
  }

  /** Sends one masked text frame (clients must mask). */
  sendText(text) {
    const payload = Buffer.from(text, 'utf8');
    if (payload.length > 125) {
      throw new Error('sendText keeps to short frames');
    }
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
    this.socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  }

  destroy() {
    this.socket.destroy();
  }
}
