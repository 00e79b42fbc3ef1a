// Next.js runs inside labdeck's own server (server/main.ts), which also owns the WebSocket endpoint.
// No `output: 'standalone'`: the custom server is the entry point.

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // node-pty, better-sqlite3 and friends never go into a browser or server bundle.
  serverExternalPackages: ['node-pty', 'better-sqlite3'],
  // Type checking is `npm run typecheck` (part of `npm test`), over the whole repo: server/, tests and
  // app/ alike. Next's own pass would re-check all of it on every `npm start` build, for nothing.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
