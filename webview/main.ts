// The results webview (issue 3). Bundled by esbuild into media/webview.js.
export {};
