/**
 * client-server-api "Thumbnails": which thumbnail answers a request, and how large it comes out.
 *
 * Thumbnails are made at the sizes the spec says servers SHOULD produce whenever one of them fits the
 * request (so a few files serve most clients), else at the requested size itself. "The dimensions given
 * to the thumbnail API are the minimum size the client would prefer": a default size is taken only when
 * it is at least as large as the request, and for "crop" only with the request's aspect ratio. Never
 * upscaled: an image smaller than the request is answered with the original content.
 */

export type ThumbnailMethod = 'crop' | 'scale';

export interface Dimensions {
  width: number;
  height: number;
}

export interface ThumbnailSize extends Dimensions {
  method: ThumbnailMethod;
}

/** "Servers SHOULD produce thumbnails with the following dimensions and methods". */
export const defaultThumbnailSizes: readonly ThumbnailSize[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

/** "When the content is smaller than the requested dimensions, servers should return the original content." */
export function isSmallerThanRequest(source: Dimensions, request: Dimensions): boolean {
  return source.width <= request.width && source.height <= request.height;
}

/** The size to generate for a request: the smallest fitting default size, else the request. */
export function thumbnailSizeFor(request: ThumbnailSize): ThumbnailSize {
  const fitting = defaultThumbnailSizes.filter(
    (size) =>
      size.method === request.method &&
      size.width >= request.width &&
      size.height >= request.height &&
      (request.method === 'scale' || size.width * request.height === size.height * request.width),
  );
  return fitting[0] ?? request;
}

/**
 * The dimensions of a thumbnail of a `source`-sized image made at `size`. "scale" keeps the image's
 * aspect ratio and fits it inside the size; "crop" keeps the size's aspect ratio and fills it, cutting
 * the image's overflow. Neither makes anything larger than the image.
 */
export function thumbnailDimensions(source: Dimensions, size: ThumbnailSize): Dimensions {
  if (size.method === 'scale') {
    const factor = Math.min(1, size.width / source.width, size.height / source.height);
    return { width: Math.max(1, Math.round(source.width * factor)), height: Math.max(1, Math.round(source.height * factor)) };
  }
  // The largest region of the image with the size's aspect ratio.
  const wider = source.width * size.height > source.height * size.width;
  const region = wider ? { width: (source.height * size.width) / size.height, height: source.height } : { width: source.width, height: (source.width * size.height) / size.width };
  if (region.width >= size.width) return { width: size.width, height: size.height };
  return { width: Math.max(1, Math.floor(region.width)), height: Math.max(1, Math.floor(region.height)) };
}
