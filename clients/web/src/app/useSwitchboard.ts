import { useCallback, useEffect, useRef, useState } from 'react';
import {
  SwitchboardClient,
  WHOAMI_ACTION,
  parseWhoamiReply,
  type CloseInfo,
  type ReceivedMessage,
  type ConnectionStatus,
  type RetryInfo,
} from '../client';
import { errorText } from './format';

/** What the page shows: `none` until the first connect. */
export type DisplayStatus = 'none' | ConnectionStatus;

export interface UiMessage {
  key: number;
  data: string;
  receivedAt: Date;
  json?: unknown;
}

export interface ConnectionState {
  status: DisplayStatus;
  connectionId: string | null;
  messages: UiMessage[];
  lastClose: CloseInfo | null;
  retry: RetryInfo | null;
  lastError: string | null;
}

export interface Connection extends ConnectionState {
  url: string;
  connect(): void;
  disconnect(): void;
  /** Sends `{"action": action, ...payload}`; throws when not connected. */
  send(action: string, payload?: object): void;
  clearMessages(): void;
}

export const MAX_MESSAGES = 500;

/**
 * Fold one received message into the state: a whoami reply sets `connectionId` and is not
 * listed; anything else is appended (newest last, at most MAX_MESSAGES kept).
 */
export function applyIncoming(state: ConnectionState, message: ReceivedMessage, key: number): ConnectionState {
  const id = message.json !== undefined ? parseWhoamiReply(message.json) : null;
  if (id !== null) return { ...state, connectionId: id };
  const item: UiMessage = { key, data: message.data, receivedAt: message.receivedAt };
  if (message.json !== undefined) item.json = message.json;
  const kept = state.messages.length >= MAX_MESSAGES ? state.messages.slice(-(MAX_MESSAGES - 1)) : state.messages;
  return { ...state, messages: [...kept, item] };
}

export const initialState: ConnectionState = {
  status: 'none',
  connectionId: null,
  messages: [],
  lastClose: null,
  retry: null,
  lastError: null,
};

/**
 * One SwitchboardClient for the app's lifetime, created once `enabled` turns true
 * (so opening only the console does not add a connection).
 */
export function useSwitchboard(url: string, enabled: boolean, reconnect = true, token: string | null = null): Connection {
  const [state, setState] = useState<ConnectionState>(initialState);
  const clientRef = useRef<SwitchboardClient | null>(null);

  useEffect(() => {
    if (!enabled) return;
    const client = new SwitchboardClient({ url, reconnect: reconnect ? {} : false, token: token ?? undefined });
    clientRef.current = client;
    let nextKey = 1;

    client.on('status', (status) =>
      setState((s) => ({
        ...s,
        status,
        connectionId: status === 'connected' ? s.connectionId : null,
        retry: status === 'reconnecting' ? s.retry : null,
      })),
    );
    client.on('open', () => {
      setState((s) => ({ ...s, lastError: null }));
      try {
        client.send(WHOAMI_ACTION);
      } catch (error) {
        setState((s) => ({ ...s, lastError: `whoami: ${errorText(error)}` }));
      }
    });
    client.on('message', (message) => setState((s) => applyIncoming(s, message, nextKey++)));
    client.on('close', (info) => setState((s) => ({ ...s, lastClose: info })));
    client.on('retry', (retry) => setState((s) => ({ ...s, retry })));
    client.on('error', (error) => setState((s) => ({ ...s, lastError: error.message })));
    client.connect();

    return () => {
      client.dispose();
      if (clientRef.current === client) clientRef.current = null;
    };
  }, [url, enabled, reconnect, token]);

  const connect = useCallback(() => clientRef.current?.connect(), []);
  const disconnect = useCallback(() => clientRef.current?.close(1000, 'closed by user'), []);
  const send = useCallback((action: string, payload?: object) => {
    const client = clientRef.current;
    if (!client) throw new Error('not connected');
    client.send(action, payload);
  }, []);
  const clearMessages = useCallback(() => setState((s) => ({ ...s, messages: [] })), []);

  return { ...state, url, connect, disconnect, send, clearMessages };
}
