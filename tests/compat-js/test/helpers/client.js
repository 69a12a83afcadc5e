// A `ws` client whose messages and close can be awaited with a timeout (no fixed sleeps in the tests).
import WebSocket from 'ws';

export const USER_AGENT = 'switchboard-compat-js/1.0 (node ws)';

/** Rejects after ms unless the promise settles first. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * An open client. Every message is queued as { text, data, isBinary } until a test takes it with next();
 * `closed` resolves with { code, reason } when the socket closes.
 */
export class TestClient {
  constructor(socket) {
    this.socket = socket;
    this.queue = [];
    this.waiters = [];
    this.errors = [];
    // Recorded rather than thrown: an 'error' event without a listener would crash the test process.
    socket.on('error', (error) => this.errors.push(error));
    this.closed = new Promise((resolveClose) => {
      socket.on('close', (code, reason) => resolveClose({ code, reason: reason.toString('utf8') }));
    });
    socket.on('message', (data, isBinary) => {
      const message = { data, isBinary, text: isBinary ? null : data.toString('utf8') };
      const waiter = this.waiters.shift();
      if (waiter) {
        waiter(message);
      } else {
        this.queue.push(message);
      }
    });
  }

  /** The next message (already received or still to come). */
  next(ms = 5_000) {
    if (this.queue.length > 0) {
      return Promise.resolve(this.queue.shift());
    }
    let waiter;
    const promise = new Promise((resolveMessage) => {
      waiter = resolveMessage;
      this.waiters.push(waiter);
    });
    return withTimeout(promise, ms, 'a WebSocket message').catch((error) => {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      throw error;
    });
  }

  /** Messages received and not taken yet. */
  pending() {
    return this.queue.length;
  }

  send(text) {
    this.socket.send(text);
  }

  /** Resolves with the close { code, reason }; fails after ms. */
  waitClosed(ms = 5_000) {
    return withTimeout(this.closed, ms, 'the WebSocket to close');
  }

  /** Closes from the client side and waits for the closing handshake to finish. */
  async close(code = 1000) {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code);
    }
    return this.waitClosed();
  }

  /** Asks the demo API's `whoami` route for this connection's id. */
  async whoami() {
    this.send(JSON.stringify({ action: 'whoami' }));
    const reply = await this.next();
    const body = JSON.parse(reply.text);
    if (body.type !== 'whoami' || typeof body.connectionId !== 'string') {
      throw new Error(`Unexpected whoami reply: ${reply.text}`);
    }
    return body.connectionId;
  }
}

/** Opens a client with a known User-Agent and resolves once it is open, with its connection id in `.id`. */
export async function openClient(wsUrl, { userAgent = USER_AGENT, ms = 5_000 } = {}) {
  const client = await connectClient(wsUrl, { headers: { 'User-Agent': userAgent } }, ms);
  client.id = await client.whoami();
  return client;
}

/**
 * Opens a client and resolves once it is open, without asking for its id (for APIs without the demo's `whoami`
 * route). `socketOptions` go to `ws` as they are: headers, or `ca` to trust a wss endpoint's certificate.
 */
export async function connectClient(wsUrl, socketOptions = {}, ms = 5_000) {
  const socket = new WebSocket(wsUrl, socketOptions);
  await withTimeout(
    new Promise((resolveOpen, reject) => {
      socket.once('open', resolveOpen);
      socket.once('error', reject);
      socket.once('unexpected-response', (_, response) => reject(new Error(`Handshake refused: HTTP ${response.statusCode}`)));
    }),
    ms,
    `the WebSocket handshake with ${wsUrl}`,
  );
  return new TestClient(socket);
}

/** Closes every client that is still open, with the closing handshake (for `after`/`afterEach`). */
export async function closeAll(clients) {
  await Promise.allSettled(clients.map((client) => client.close()));
}

/**
 * The clients a test file opens, all closed at the end: open() connects to wsUrl() (read when called, e.g.
 * () => gateway.wsUrl) and remembers the client; closeAll() closes every one of them (for `after`).
 */
export function trackedClients(wsUrl) {
  const clients = [];
  return {
    async open() {
      const opened = await openClient(wsUrl());
      clients.push(opened);
      return opened;
    },
    closeAll: () => closeAll(clients),
  };
}

/** Polls check() every 20 ms until it returns a truthy value; fails after ms. For conditions that have no event. */
export async function waitUntil(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${ms} ms waiting until ${what}`);
    }
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 20));
  }
}
