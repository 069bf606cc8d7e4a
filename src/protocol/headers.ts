/**
 * Request and response headers.
 *
 * Request header v1: apiKey int16, apiVersion int16, correlationId int32, clientId nullable
 * string (never compact). v2 adds tagged fields. v0 has no clientId (only ControlledShutdown v0
 * ever used it). A request uses v2 when its API version is flexible, else v1.
 * Response header v0: correlationId. v1 adds tagged fields, used for flexible versions, except
 * that ApiVersions responses always use v0 so a client can read them before it knows our range.
 */
import { Reader, Writer } from './primitives.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export const API_VERSIONS_KEY = 18;

/** Reads the fixed part every header version shares (key, version, correlation id). */
export function readRequestHeaderPrefix(r: Reader): { apiKey: number; apiVersion: number; correlationId: number } {
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/** Reads a whole request header given whether the request version is flexible. */
export function readRequestHeader(r: Reader, flexible: boolean): RequestHeader {
  const prefix = readRequestHeaderPrefix(r);
  const clientId = r.nullableString();
  if (flexible) skipTaggedFields(r);
  return { ...prefix, clientId };
}

export function writeRequestHeader(w: Writer, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).nullableString(h.clientId);
  if (flexible) w.unsignedVarint(0);
}

export function responseHeaderIsFlexible(apiKey: number, bodyFlexible: boolean): boolean {
  return bodyFlexible && apiKey !== API_VERSIONS_KEY;
}

export function writeResponseHeader(w: Writer, correlationId: number, flexible: boolean): void {
  w.int32(correlationId);
  if (flexible) w.unsignedVarint(0);
}

export function readResponseHeader(r: Reader, flexible: boolean): number {
  const correlationId = r.int32();
  if (flexible) skipTaggedFields(r);
  return correlationId;
}

export function skipTaggedFields(r: Reader): void {
  const n = r.unsignedVarint();
  for (let i = 0; i < n && r.error === null; i++) {
    r.unsignedVarint();
    r.raw(r.unsignedVarint());
  }
}
