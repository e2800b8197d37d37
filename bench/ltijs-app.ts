/**
 * The launch baseline: a bare ltijs app (the reference LTI 1.3 library) doing the same OIDC login and launch
 * against the same simulator. Run as its own process by bench/system.ts.
 * Env: PORT, MONGODB_URI (ltijs keeps its own database), PLATFORM_URL, PLATFORM_CLIENT_ID, PLATFORM_AUTH_URL,
 * PLATFORM_TOKEN_URL, PLATFORM_JWKS_URL.
 */
import ltijs from 'ltijs';

interface LtijsProvider {
  setup(key: string, db: { url: string }, options: Record<string, unknown>): void;
  onConnect(
    handler: (token: { user: string }, req: unknown, res: { send(body: string): void }) => void,
  ): void;
  deploy(options: { port: number; silent: boolean }): Promise<void>;
  registerPlatform(platform: Record<string, unknown>): Promise<unknown>;
}

const provider = (ltijs as { Provider: LtijsProvider }).Provider;
const env = (name: string) => process.env[name] ?? '';
provider.setup(
  'bench-ltijs-encryption-key',
  { url: env('MONGODB_URI') },
  { cookies: { secure: false, sameSite: '' }, devMode: true },
);
provider.onConnect((token, _req, res) => res.send(`launched ${token.user}`));
await provider.deploy({ port: Number(env('PORT')), silent: true });
await provider.registerPlatform({
  url: env('PLATFORM_URL'),
  name: 'simulator',
  clientId: env('PLATFORM_CLIENT_ID'),
  authenticationEndpoint: env('PLATFORM_AUTH_URL'),
  accesstokenEndpoint: env('PLATFORM_TOKEN_URL'),
  authConfig: { method: 'JWK_SET', key: env('PLATFORM_JWKS_URL') },
});
process.stdout.write('ready\n');
