/** Every API definition we carry, looked up by API key. */
import type { ApiDef } from './schema.js';
import * as M from './messages/index.js';

const ALL: ApiDef[] = Object.values(M).filter((v): v is ApiDef => typeof v === 'object' && v !== null && 'apiKey' in v && 'request' in v);

export const API_BY_KEY: ReadonlyMap<number, ApiDef> = new Map(ALL.map((a) => [a.apiKey, a]));

export function apiByKey(key: number): ApiDef | undefined {
  return API_BY_KEY.get(key);
}
