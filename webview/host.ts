// The webview's side of the host boundary. Inside VS Code: acquireVsCodeApi (postMessage, getState,
// setState). In a report page or a plain browser there is no host: messages go nowhere, state lives in
// memory, and exports become downloads.
import type { HostToWebview, WebviewToHost } from '../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

export interface Host {
  /** True inside a VS Code webview. */
  readonly inVsCode: boolean;
  post(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
  onMessage(handler: (message: HostToWebview) => void): void;
}

export function connectHost(): Host {
  const api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  let memory: unknown;
  return {
    inVsCode: api !== undefined,
    post: (message) => api?.postMessage(message),
    getState: () => (api ? api.getState() : memory),
    setState: (state) => {
      if (api) api.setState(state);
      else memory = state;
    },
    onMessage: (handler) =>
      window.addEventListener('message', (event: MessageEvent) => {
        const data = event.data as HostToWebview | undefined;
        if (data && typeof data === 'object' && typeof data.type === 'string') handler(data);
      }),
  };
}
