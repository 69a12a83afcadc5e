import { useEffect, useRef, useState, type FormEvent } from 'react';
import { StatusPill } from './StatusPill';
import type { Connection } from './useSwitchboard';
import { errorText, formatTime } from './format';

export function ClientPage({ conn }: { conn: Connection }) {
  const [action, setAction] = useState('sendmessage');
  const [data, setData] = useState('');
  const [sendError, setSendError] = useState<string | null>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const dataRef = useRef<HTMLInputElement>(null);
  const connected = conn.status === 'connected';
  const active = conn.status === 'connecting' || conn.status === 'connected' || conn.status === 'reconnecting';

  // Newest message is at the bottom: keep the list scrolled there.
  useEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [conn.messages]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const name = action.trim();
    if (!name) {
      setSendError('the action must not be empty');
      return;
    }
    try {
      conn.send(name, { data });
      setSendError(null);
      setData('');
      dataRef.current?.focus();
    } catch (error) {
      setSendError(errorText(error));
    }
  };

  return (
    <div className="grid">
      <section className="card" aria-labelledby="conn-title">
        <div className="card-head">
          <h2 id="conn-title">Connection</h2>
          {active ? (
            <button type="button" className="btn btn-ghost btn-small" onClick={conn.disconnect}>
              Disconnect
            </button>
          ) : (
            <button type="button" className="btn btn-ghost btn-small" onClick={conn.connect} disabled={conn.status === 'none'}>
              Connect
            </button>
          )}
        </div>
        <dl className="facts">
          <div>
            <dt>Status</dt>
            <dd>
              <StatusPill status={conn.status} testId="connection-status" />
            </dd>
          </div>
          <div>
            <dt>Connection id</dt>
            <dd>
              <code className="conn-id" data-testid="connection-id">
                {conn.connectionId ?? ''}
              </code>
            </dd>
          </div>
          <div>
            <dt>Endpoint</dt>
            <dd>
              <code className="wrap">{conn.url}</code>
            </dd>
          </div>
        </dl>
        {conn.status === 'reconnecting' && conn.retry && (
          <p className="hint">
            Reconnecting (attempt {conn.retry.attempt}, after {(conn.retry.delayMs / 1000).toFixed(1)} s)…
          </p>
        )}
        {conn.lastClose && conn.status !== 'connected' && (
          <p className="hint">
            Last close: code {conn.lastClose.code}
            {conn.lastClose.reason ? ` (${conn.lastClose.reason})` : ''}
          </p>
        )}
        {conn.lastError && conn.status !== 'connected' && <p className="hint hint-error">{conn.lastError}</p>}
      </section>

      <section className="card" aria-labelledby="send-title">
        <div className="card-head">
          <h2 id="send-title">Send a message</h2>
        </div>
        <form className="form" onSubmit={onSubmit}>
          <label className="field field-narrow">
            <span>action</span>
            <input
              data-testid="send-action"
              value={action}
              onChange={(e) => setAction(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </label>
          <label className="field">
            <span>data</span>
            <input
              ref={dataRef}
              data-testid="send-data"
              value={data}
              onChange={(e) => setData(e.target.value)}
              placeholder="Hello, everyone!"
              autoComplete="off"
            />
          </label>
          <button type="submit" className="btn btn-primary" data-testid="send-button" disabled={!connected}>
            Send
          </button>
        </form>
        <p className="hint">
          Sends <code>{JSON.stringify({ action: action.trim() || '…', data })}</code>
        </p>
        {sendError && (
          <p className="hint hint-error" role="alert" data-testid="send-error">
            {sendError}
          </p>
        )}
      </section>

      <section className="card card-wide" aria-labelledby="msg-title">
        <div className="card-head">
          <h2 id="msg-title">
            Messages <span className="count">{conn.messages.length}</span>
          </h2>
          <button type="button" className="btn btn-ghost btn-small" onClick={conn.clearMessages} disabled={!conn.messages.length}>
            Clear
          </button>
        </div>
        <ol className="messages" data-testid="message-list" ref={listRef} aria-live="polite">
          {conn.messages.map((m) => (
            <li key={m.key} className="message" data-testid="message-item">
              <time dateTime={m.receivedAt.toISOString()} className="message-time" data-testid="message-time">
                {formatTime(m.receivedAt)}
              </time>
              <span className="message-data" data-testid="message-data">
                {m.data}
              </span>
            </li>
          ))}
        </ol>
        {conn.messages.length === 0 && <p className="empty">No messages yet. Received messages appear here, newest at the bottom.</p>}
      </section>
    </div>
  );
}
