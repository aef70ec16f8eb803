/**
 * The route table: every route the app serves, one file per resource under routes/, in the order of the
 * OpenAPI document; and the order express mounts them in.
 */
import type { AnyRouteDef } from './route.ts';
import { clientRoutes } from './routes/clients.ts';
import { decryptRoute } from './routes/decrypt.ts';
import { encryptRoute } from './routes/encrypt.ts';
import { hashRoutes } from './routes/hash.ts';
import { httpSignatureRoutes } from './routes/http-signatures.ts';
import { keyRoutes } from './routes/keys.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { messageRoutes } from './routes/messages.ts';
import { publicRoutes } from './routes/public.ts';
import { rewrapRoute } from './routes/rewrap.ts';
import { serviceRoutes } from './routes/service.ts';
import { signRoute } from './routes/sign.ts';
import { verifyRoute } from './routes/verify.ts';

export const ROUTES: readonly AnyRouteDef[] = Object.freeze([
  ...serviceRoutes,
  ...clientRoutes,
  ...keyRoutes,
  ...publicRoutes,
  signRoute,
  verifyRoute,
  encryptRoute,
  decryptRoute,
  rewrapRoute,
  ...hashRoutes,
  ...httpSignatureRoutes,
  ...messageRoutes,
  ...ledgerRoutes,
]);

/**
 * The raw operations are nearly every request, and express tries routes one by one in mounting order: mounted
 * first, they skip ~20 path tests per call. Paths never overlap, so the order changes nothing else.
 */
const HOT: ReadonlySet<AnyRouteDef> = new Set([signRoute, verifyRoute, encryptRoute, decryptRoute, rewrapRoute]);
export const MOUNT_ORDER: readonly AnyRouteDef[] = Object.freeze([...ROUTES.filter((r) => HOT.has(r)), ...ROUTES.filter((r) => !HOT.has(r))]);
