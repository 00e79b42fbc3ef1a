// Next.js runs inside labdeck's own server (server/main.ts), which also owns the WebSocket endpoint.
// No `output: 'standalone'`: the custom server is the entry point.

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // node-pty, better-sqlite3 and friends never go into a browser or server bundle.
  serverExternalPackages: ['node-pty', 'better-sqlite3'],
  // Production builds type-check through `npm run typecheck`, which covers server/ and e2e/ too.
  typescript: { ignoreBuildErrors: false },
};

export default nextConfig;
