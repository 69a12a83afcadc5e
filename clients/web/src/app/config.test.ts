import { describe, expect, it } from 'vitest';
import { readConfig, routeFromHash, servedBasePath, servedStage } from './config';

const loc = (over: Partial<{ protocol: string; host: string; search: string; hash: string }> = {}) => ({
  protocol: 'http:',
  host: '127.0.0.1:8080',
  search: '',
  hash: '',
  ...over,
});

describe('readConfig', () => {
  it('defaults to the production stage on the page host', () => {
    expect(readConfig(loc())).toEqual({ stage: 'production', wsUrl: 'ws://127.0.0.1:8080/production', reconnect: true, token: null });
  });

  it('uses wss on https', () => {
    expect(readConfig(loc({ protocol: 'https:', host: 'gw.test' })).wsUrl).toBe('wss://gw.test/production');
  });

  it('reads ?stage= and ?ws=', () => {
    expect(readConfig(loc({ search: '?stage=dev' }))).toEqual({ stage: 'dev', wsUrl: 'ws://127.0.0.1:8080/dev', reconnect: true, token: null });
    expect(readConfig(loc({ search: '?ws=ws%3A%2F%2F127.0.0.1%3A9000%2Fx' })).wsUrl).toBe('ws://127.0.0.1:9000/x');
    expect(readConfig(loc({ search: '?stage=' })).stage).toBe('production');
  });

  it('reads ?token= for the $connect authorizer, in the query or the hash', () => {
    expect(readConfig(loc({ search: '?token=eyJ.a.b' })).token).toBe('eyJ.a.b');
    expect(readConfig(loc({ hash: '#/?token=eyJ.c.d' })).token).toBe('eyJ.c.d');
    expect(readConfig(loc({ search: '?token=' })).token).toBeNull();
  });

  it('reads ?reconnect=0', () => {
    expect(readConfig(loc({ search: '?reconnect=0' })).reconnect).toBe(false);
    expect(readConfig(loc({ search: '?reconnect=off' })).reconnect).toBe(false);
    expect(readConfig(loc({ search: '?reconnect=1' })).reconnect).toBe(true);
  });

  it("takes the serving gateway's stage when the URL names none", () => {
    expect(readConfig(loc(), 'dev')).toEqual({ stage: 'dev', wsUrl: 'ws://127.0.0.1:8080/dev', reconnect: true, token: null });
    expect(readConfig(loc({ search: '?stage=beta' }), 'dev').stage).toBe('beta');
    expect(readConfig(loc({ hash: '#/console?stage=beta' }), 'dev').stage).toBe('beta');
  });

  it('falls back to a query inside the hash', () => {
    expect(readConfig(loc({ hash: '#/console?stage=beta' })).stage).toBe('beta');
    expect(readConfig(loc({ search: '?stage=a', hash: '#/?stage=b' })).stage).toBe('a');
  });
});

describe('base path (Switchboard:BasePath)', () => {
  it('connects to the base path instead of the stage, and to the root when it is empty', () => {
    expect(readConfig(loc(), 'dev', 'chat')).toEqual({ stage: 'dev', basePath: 'chat', wsUrl: 'ws://127.0.0.1:8080/chat', reconnect: true, token: null });
    expect(readConfig(loc({ protocol: 'https:' }), 'dev', '')).toEqual({ stage: 'dev', basePath: '', wsUrl: 'wss://127.0.0.1:8080/', reconnect: true, token: null });
  });

  it('is not used when ?stage= names a stage, nor when the gateway wrote none', () => {
    expect(readConfig(loc({ search: '?stage=beta' }), 'dev', '')).toEqual({ stage: 'beta', wsUrl: 'ws://127.0.0.1:8080/beta', reconnect: true, token: null });
    expect(readConfig(loc(), 'dev', null).wsUrl).toBe('ws://127.0.0.1:8080/dev');
  });
});

describe('servedStage', () => {
  // A document holding only the meta elements given (name → content).
  const documentWith = (metas: Record<string, string>) => ({
    querySelector: (selector: string) => {
      const name = /^meta\[name="(.+)"\]$/.exec(selector)?.[1];
      const content = name === undefined ? undefined : metas[name];
      return content === undefined ? null : ({ getAttribute: (attribute: string) => (attribute === 'content' ? content : null) } as Element);
    },
  });

  it('reads the meta element the gateway writes', () => {
    expect(servedStage(documentWith({ 'switchboard-stage': 'dev' }))).toBe('dev');
  });

  it('reads the base path meta element: "" is the root, absent is null', () => {
    expect(servedBasePath(documentWith({ 'switchboard-base-path': 'chat' }))).toBe('chat');
    expect(servedBasePath(documentWith({ 'switchboard-base-path': '' }))).toBe('');
    expect(servedBasePath(documentWith({}))).toBeNull();
  });

  it('is null without the element or with an empty one (a page not served by a gateway)', () => {
    expect(servedStage(documentWith({}))).toBeNull();
    expect(servedStage(documentWith({ 'switchboard-stage': ' ' }))).toBeNull();
  });
});

describe('routeFromHash', () => {
  it('maps hashes to pages', () => {
    expect(routeFromHash('')).toBe('client');
    expect(routeFromHash('#/')).toBe('client');
    expect(routeFromHash('#/console')).toBe('console');
    expect(routeFromHash('#/console/')).toBe('console');
    expect(routeFromHash('#/console?stage=x')).toBe('console');
    expect(routeFromHash('#/nope')).toBe('client');
  });
});
