import type { WebSocketLike } from '../client';

/** A scriptable stand-in for the browser WebSocket (used by unit tests only). */
export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  static get last(): FakeWebSocket {
    const ws = FakeWebSocket.instances.at(-1);
    if (!ws) throw new Error('no FakeWebSocket was created');
    return ws;
  }

  readyState = 0;
  binaryType = 'blob';
  sent: string[] = [];
  closeCalls: { code?: number; reason?: string }[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code?: number; reason?: string; wasClean?: boolean }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason });
    if (this.readyState < 2) this.readyState = 2;
  }

  // ---- driven by the test ----

  serverOpen(): void {
    this.readyState = 1;
    this.onopen?.({ type: 'open' });
  }

  serverMessage(data: unknown): void {
    this.onmessage?.({ data });
  }

  serverClose(code = 1006, reason = '', wasClean = code !== 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean });
  }

  /** Connection failed (refused / dropped): error then close 1006. */
  fail(): void {
    this.onerror?.({ type: 'error' });
    this.serverClose(1006, '', false);
  }
}
