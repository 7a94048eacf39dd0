// A development OpenID Connect provider (panva/oidc-provider) for tests and local runs.
// Every login name signs in (no password check: development interactions); the name
// decides the roles claim: a name starting "director" is a director, "officer" an
// officer, anything else has no role of the registry. Never run this in production.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const roleOf = (name) => (name.startsWith('director') ? ['director']
  : name.startsWith('officer') ? ['officer'] : ['reader']);

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], profile: ['name', 'roles'] },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: id, roles: roleOf(id) }; } };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['development-only-not-a-secret'] },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
