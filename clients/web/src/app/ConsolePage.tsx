import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ManagementClient, type ConnectionInfo, type Stats } from '../client';
import { errorText, formatAgo, formatDateTime, formatTime } from './format';
import { keyRequestFor, loadOperatorKey, storeOperatorKey, tabStorage, type KeyRequest } from './operatorKey';

const REFRESH_MS = 2000;

type Notice = { kind: 'ok' | 'error'; text: string } | null;

function NoticeLine({ notice, testId }: { notice: Notice; testId: string }) {
  if (!notice) return null;
  return (
    <p className={`notice notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {notice.text}
    </p>
  );
}

/**
 * Asks for the operator's API key when the management API answers 401/403, and says so clearly when the gateway
 * refuses the key that was sent.
 */
function ApiKeyCard({ request, onSubmit }: { request: KeyRequest; onSubmit: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <section className="card card-wide" aria-labelledby="apikey-title" data-testid="api-key-card">
      <div className="card-head">
        <h2 id="apikey-title">Operator API key</h2>
      </div>
      <p className={`notice ${request.kind === 'refused' ? 'notice-error' : ''}`} role="alert" data-testid="api-key-prompt">
        {request.kind === 'refused'
          ? request.text
          : 'This gateway requires an API key for its management API. Enter an operator key: it is kept for this tab only.'}
      </p>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <label className="field">
          <span>API key</span>
          <input type="password" data-testid="api-key-input" value={key} onChange={(e) => setKey(e.target.value)} autoComplete="off" />
        </label>
        <button type="submit" className="btn btn-primary" data-testid="api-key-submit">
          Use key
        </button>
      </form>
    </section>
  );
}

export function ConsolePage({ stage, basePath, ownConnectionId }: { stage: string; basePath?: string; ownConnectionId: string | null }) {
  const storage = useMemo(tabStorage, []);
  const [apiKey, setApiKey] = useState(() => loadOperatorKey(storage));
  const [keyRequest, setKeyRequest] = useState<KeyRequest | null>(null);
  const keyRequestRef = useRef<KeyRequest | null>(null);
  keyRequestRef.current = keyRequest;
  const api = useMemo(() => new ManagementClient({ stage, basePath, apiKey }), [stage, basePath, apiKey]);

  /** True when `error` means the console needs (another) key; the card then asks for it and refreshes pause. */
  const askForKeyIf = useCallback(
    (error: unknown) => {
      const request = keyRequestFor(error, apiKey);
      if (!request) return false;
      // A refused key is forgotten, so that reloading the console asks again rather than sending it again.
      if (request.kind === 'refused') storeOperatorKey(storage, null);
      keyRequestRef.current = request;
      setKeyRequest(request);
      return true;
    },
    [apiKey, storage],
  );

  const acceptKey = (key: string) => {
    storeOperatorKey(storage, key);
    keyRequestRef.current = null;
    setKeyRequest(null);
    setApiKey(key);
  };
  const [connections, setConnections] = useState<ConnectionInfo[] | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [refreshError, setRefreshError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [rowNotice, setRowNotice] = useState<Notice>(null);
  const [pending, setPending] = useState<Set<string>>(() => new Set());

  const [sendId, setSendId] = useState('');
  const [sendMessage, setSendMessage] = useState('');
  const [sendNotice, setSendNotice] = useState<Notice>(null);
  const [sending, setSending] = useState(false);

  const [broadcastMessage, setBroadcastMessage] = useState('');
  const [broadcastNotice, setBroadcastNotice] = useState<Notice>(null);
  const [broadcasting, setBroadcasting] = useState(false);

  const inFlight = useRef(false);
  const sendMessageRef = useRef<HTMLInputElement>(null);

  const refresh = useCallback(async () => {
    if (inFlight.current || keyRequestRef.current) return;
    inFlight.current = true;
    try {
      const [list, st] = await Promise.allSettled([api.list(), api.stats()]);
      if ((list.status === 'rejected' && askForKeyIf(list.reason)) || (st.status === 'rejected' && askForKeyIf(st.reason))) return;
      const errors: string[] = [];
      if (list.status === 'fulfilled') {
        setConnections(
          [...list.value].sort((a, b) => a.connectedAt.localeCompare(b.connectedAt) || a.connectionId.localeCompare(b.connectionId)),
        );
      } else errors.push(`connections: ${errorText(list.reason)}`);
      if (st.status === 'fulfilled') setStats(st.value);
      else errors.push(`stats: ${errorText(st.reason)}`);
      setRefreshError(errors.length ? errors.join(' · ') : null);
      setUpdatedAt(new Date());
    } finally {
      inFlight.current = false;
    }
  }, [api, askForKeyIf]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const disconnect = async (id: string) => {
    setPending((p) => new Set(p).add(id));
    try {
      await api.delete(id);
      setRowNotice({ kind: 'ok', text: `Disconnected ${id}` });
      setConnections((list) => list?.filter((c) => c.connectionId !== id) ?? list);
    } catch (error) {
      askForKeyIf(error);
      setRowNotice({ kind: 'error', text: `Disconnect ${id} failed: ${errorText(error)}` });
    } finally {
      setPending((p) => {
        const next = new Set(p);
        next.delete(id);
        return next;
      });
      void refresh();
    }
  };

  const onSendOne = async (event: FormEvent) => {
    event.preventDefault();
    const id = sendId.trim();
    if (!id) {
      setSendNotice({ kind: 'error', text: 'Enter a connection id.' });
      return;
    }
    setSending(true);
    try {
      await api.post(id, sendMessage);
      setSendNotice({ kind: 'ok', text: `Sent to ${id}` });
    } catch (error) {
      askForKeyIf(error);
      setSendNotice({ kind: 'error', text: `Send to ${id} failed: ${errorText(error)}` });
    } finally {
      setSending(false);
      void refresh();
    }
  };

  const onBroadcast = async (event: FormEvent) => {
    event.preventDefault();
    setBroadcasting(true);
    try {
      const { recipients } = await api.broadcast(broadcastMessage);
      setBroadcastNotice({ kind: 'ok', text: `Broadcast delivered to ${recipients} ${recipients === 1 ? 'recipient' : 'recipients'}` });
    } catch (error) {
      askForKeyIf(error);
      setBroadcastNotice({ kind: 'error', text: `Broadcast failed: ${errorText(error)}` });
    } finally {
      setBroadcasting(false);
      void refresh();
    }
  };

  const now = updatedAt ?? new Date();

  return (
    <div className="grid">
      {keyRequest && <ApiKeyCard request={keyRequest} onSubmit={acceptKey} />}
      <section className="card card-wide" aria-label="Counters">
        <div className="counters">
          <div className="counter">
            <span className="counter-value" data-testid="counter-connections">
              {stats ? String(stats.connections) : '–'}
            </span>
            <span className="counter-label">connections open</span>
          </div>
          <div className="counter">
            <span className="counter-value" data-testid="counter-messages-in">
              {stats ? String(stats.messagesIn) : '–'}
            </span>
            <span className="counter-label">messages in</span>
          </div>
          <div className="counter">
            <span className="counter-value" data-testid="counter-messages-out">
              {stats ? String(stats.messagesOut) : '–'}
            </span>
            <span className="counter-label">messages out</span>
          </div>
        </div>
      </section>

      <section className="card card-wide" aria-labelledby="connections-title">
        <div className="card-head">
          <h2 id="connections-title">
            Connections <span className="count">{connections?.length ?? 0}</span>
          </h2>
          <div className="card-head-side">
            <span className="hint" title={updatedAt?.toISOString()}>
              {updatedAt ? `updated ${formatTime(updatedAt).slice(0, 8)}` : 'loading…'} · every {REFRESH_MS / 1000} s
            </span>
            <button type="button" className="btn btn-ghost btn-small" onClick={() => void refresh()}>
              Refresh
            </button>
          </div>
        </div>
        {refreshError && (
          <p className="notice notice-error" role="alert" data-testid="refresh-error">
            Could not load: {refreshError}
          </p>
        )}
        <NoticeLine notice={rowNotice} testId="console-notice" />
        <div className="table-wrap">
          <table className="table" data-testid="connections-table">
            <thead>
              <tr>
                <th>Connection id</th>
                <th>Connected at</th>
                <th>Last active</th>
                <th>Source IP</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {(connections ?? []).map((c) => (
                <tr key={c.connectionId} data-testid="connection-row" data-connection-id={c.connectionId}>
                  <td data-label="Id">
                    <span className="cell">
                      <code className="wrap" data-testid="connection-row-id">
                        {c.connectionId}
                      </code>
                      {c.connectionId === ownConnectionId && <span className="badge">this tab</span>}
                    </span>
                  </td>
                  <td data-label="Connected" title={c.connectedAt}>
                    <span className="cell">{formatDateTime(c.connectedAt)}</span>
                  </td>
                  <td data-label="Last active" title={c.lastActiveAt}>
                    <span className="cell">
                      {formatDateTime(c.lastActiveAt)} <span className="muted">{formatAgo(c.lastActiveAt, now)}</span>
                    </span>
                  </td>
                  <td data-label="Source IP" title={c.identity?.userAgent ?? undefined}>
                    <span className="cell">{c.identity?.sourceIp ?? ''}</span>
                  </td>
                  <td className="actions">
                    <button
                      type="button"
                      className="btn btn-ghost btn-small"
                      onClick={() => {
                        setSendId(c.connectionId);
                        sendMessageRef.current?.focus();
                      }}
                    >
                      Message
                    </button>
                    <button
                      type="button"
                      className="btn btn-danger btn-small"
                      data-testid="disconnect-button"
                      disabled={pending.has(c.connectionId)}
                      onClick={() => void disconnect(c.connectionId)}
                    >
                      Disconnect
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {connections !== null && connections.length === 0 && <p className="empty">No open connections.</p>}
      </section>

      <section className="card" aria-labelledby="sendone-title">
        <div className="card-head">
          <h2 id="sendone-title">Send to one connection</h2>
        </div>
        <form className="form form-stack" onSubmit={(e) => void onSendOne(e)}>
          <label className="field">
            <span>connection id</span>
            <input
              data-testid="sendone-id"
              value={sendId}
              onChange={(e) => setSendId(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. Ab3dEfGhIjKLMNo="
            />
          </label>
          <label className="field">
            <span>message (raw text)</span>
            <input
              ref={sendMessageRef}
              data-testid="sendone-message"
              value={sendMessage}
              onChange={(e) => setSendMessage(e.target.value)}
              autoComplete="off"
            />
          </label>
          <button type="submit" className="btn btn-primary" data-testid="sendone-button" disabled={sending}>
            Send
          </button>
        </form>
        <NoticeLine notice={sendNotice} testId="sendone-result" />
      </section>

      <section className="card" aria-labelledby="broadcast-title">
        <div className="card-head">
          <h2 id="broadcast-title">Broadcast</h2>
        </div>
        <form className="form form-stack" onSubmit={(e) => void onBroadcast(e)}>
          <label className="field">
            <span>message to every connection (raw text)</span>
            <input
              data-testid="broadcast-input"
              value={broadcastMessage}
              onChange={(e) => setBroadcastMessage(e.target.value)}
              autoComplete="off"
            />
          </label>
          <button type="submit" className="btn btn-primary" data-testid="broadcast-button" disabled={broadcasting}>
            Broadcast
          </button>
        </form>
        <NoticeLine notice={broadcastNotice} testId="broadcast-result" />
      </section>
    </div>
  );
}
