export { TypedEmitter } from './emitter';
export type { Handler, Unsubscribe } from './emitter';
export {
  SwitchboardClient,
  DEFAULT_RECONNECT,
  DEFAULT_TOKEN_PARAMETER,
  withToken,
  backoffBaseDelay,
  applyJitter,
  tryParseJson,
} from './switchboard-client';
export type {
  ClientError,
  ClientState,
  CloseInfo,
  ConnectionStatus,
  ReceivedMessage,
  ReconnectOptions,
  RetryInfo,
  SwitchboardClientEvents,
  SwitchboardClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './switchboard-client';
export { ManagementClient, ManagementError } from './management';
export type {
  BroadcastResult,
  ConnectionIdentity,
  ConnectionInfo,
  ConnectionPage,
  FetchLike,
  ManagementClientOptions,
  RequestInitLike,
  ResponseLike,
  Stats,
} from './management';
export { WHOAMI_ACTION, parseWhoamiReply } from './whoami';
