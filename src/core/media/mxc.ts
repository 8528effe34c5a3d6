/**
 * client-server-api "Matrix Content (mxc://) URIs": `mxc://<server-name>/<media-id>`. The security
 * considerations require both parts to be checked before use, the media ID against a whitelist of
 * characters (alphanumerics, `_` and `-`) rather than a blacklist of `.` and `/`.
 */
import { MatrixError } from '../errors.ts';
import { isServerName } from '../ids/server-name.ts';

const mediaIdPattern = /^[A-Za-z0-9_-]{1,255}$/;

export function isMediaId(text: string): boolean {
  return mediaIdPattern.test(text);
}

export function mxcUri(serverName: string, mediaId: string): string {
  return `mxc://${serverName}/${mediaId}`;
}

/** Throws 400 M_INVALID_PARAM unless `serverName` and `mediaId` may form an mxc:// URI. */
export function checkMediaAddress(serverName: string, mediaId: string): void {
  if (!isServerName(serverName)) throw new MatrixError('M_INVALID_PARAM', `Invalid server name ${JSON.stringify(serverName)}`);
  if (!isMediaId(mediaId)) throw new MatrixError('M_INVALID_PARAM', 'A media ID has only the characters A-Z, a-z, 0-9, _ and -');
}
