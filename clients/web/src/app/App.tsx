import { useEffect, useMemo, useState } from 'react';
import { ClientPage } from './ClientPage';
import { ConsolePage } from './ConsolePage';
import { readConfig, routeFromHash, servedBasePath, servedStage, type Route } from './config';
import { useSwitchboard } from './useSwitchboard';

export function App() {
  const config = useMemo(() => readConfig(window.location, servedStage(document), servedBasePath(document)), []);
  const [route, setRoute] = useState<Route>(() => routeFromHash(window.location.hash));
  // The WebSocket is opened when the Client page is first shown and then kept across tabs,
  // so opening only the console does not add a connection.
  const [clientWanted, setClientWanted] = useState(route === 'client');
  const conn = useSwitchboard(config.wsUrl, clientWanted, config.reconnect, config.token);

  useEffect(() => {
    const onHashChange = () => setRoute(routeFromHash(window.location.hash));
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  useEffect(() => {
    if (route === 'client') setClientWanted(true);
    document.title = route === 'console' ? 'Console · Switchboard' : 'Client · Switchboard';
  }, [route]);

  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar-inner">
          <a className="brand" href="#/">
            <span className="brand-mark" aria-hidden="true" />
            Switchboard
          </a>
          <nav className="tabs" aria-label="Pages">
            <a href="#/" className="tab" aria-current={route === 'client' ? 'page' : undefined} data-testid="nav-client">
              Client
            </a>
            <a
              href="#/console"
              className="tab"
              aria-current={route === 'console' ? 'page' : undefined}
              data-testid="nav-console"
            >
              Console
            </a>
          </nav>
          <span className="stage" data-testid="stage" title="Stage (the gateway's own; change with ?stage=)">
            stage <strong>{config.stage}</strong>
          </span>
        </div>
      </header>
      <main className="main">
        {route === 'console' ? (
          <ConsolePage stage={config.stage} basePath={config.basePath} ownConnectionId={conn.connectionId} />
        ) : (
          <ClientPage conn={conn} />
        )}
      </main>
    </div>
  );
}
