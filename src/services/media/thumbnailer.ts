/**
 * Thumbnail images made with sharp (libvips, decoding off the main thread). Which image types are
 * thumbnailed and in which type the thumbnail comes out: JPEG stays JPEG (photos), everything else
 * becomes PNG, except that an animated GIF or WebP asked for `animated=true` becomes an animated WebP,
 * the type the spec prefers for animation.
 *
 * Images are decoded only after their header shows at most `maxPixels` pixels (max_image_pixels),
 * so a small file that decompresses to a huge bitmap is refused before it costs memory.
 *
 * sharp is loaded on first use: libvips adds about 28 MiB to the resident memory of a server that
 * may never make a thumbnail.
 */
import type { Sharp, SharpOptions } from 'sharp';
import type { Dimensions, ThumbnailMethod } from '../../core/media/thumbnail-sizes.ts';

export type ThumbnailType = 'image/jpeg' | 'image/png' | 'image/webp';

/** What the thumbnailer reads, by the content type the media was uploaded with. */
const readableTypes = new Set(['image/jpeg', 'image/jpg', 'image/png', 'image/apng', 'image/gif', 'image/webp', 'image/avif']);
const animatableTypes = new Set(['image/gif', 'image/webp']);

export interface ImageInfo extends Dimensions {
  animated: boolean;
}

export interface Thumbnail extends Dimensions {
  data: Buffer;
  contentType: ThumbnailType;
}

type SharpFactory = (input: string | Buffer, options?: SharpOptions) => Sharp;
let loading: Promise<SharpFactory> | undefined;

/** The sharp module, loaded once, when an image is first read. */
export function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then((module) => module.default as SharpFactory);
  return loading;
}

export class Thumbnailer {
  constructor(private readonly maxPixels: number) {}

  /** Whether media of this content type is an image the thumbnailer reads. */
  reads(contentType: string | undefined): boolean {
    return contentType !== undefined && readableTypes.has(baseType(contentType));
  }

  /** The type a thumbnail of `contentType` comes out in. */
  thumbnailType(contentType: string, animated: boolean): ThumbnailType {
    const type = baseType(contentType);
    if (animated && animatableTypes.has(type)) return 'image/webp';
    return type === 'image/jpeg' || type === 'image/jpg' ? 'image/jpeg' : 'image/png';
  }

  /** The image's displayed size (after its EXIF orientation), or undefined when it cannot be read. */
  async probe(path: string): Promise<ImageInfo | undefined> {
    try {
      const sharp = await loadSharp();
      const { width, height, pages, orientation } = await sharp(path, { limitInputPixels: false }).metadata();
      if (!width || !height) return undefined;
      const turned = orientation !== undefined && orientation >= 5;
      return { width: turned ? height : width, height: turned ? width : height, animated: (pages ?? 1) > 1 };
    } catch {
      return undefined;
    }
  }

  isTooLarge(image: Dimensions): boolean {
    return image.width * image.height > this.maxPixels;
  }

  /** A `size` thumbnail of the image at `path`, made by `method`, in `type`. */
  async render(path: string, size: Dimensions, method: ThumbnailMethod, type: ThumbnailType): Promise<Thumbnail> {
    const animated = type === 'image/webp';
    const sharp = await loadSharp();
    const image = sharp(path, { limitInputPixels: this.maxPixels, animated })
      .autoOrient()
      .resize(size.width, size.height, { fit: method === 'crop' ? 'cover' : 'fill' });
    const encoded = type === 'image/jpeg' ? image.jpeg({ quality: 80 }) : type === 'image/webp' ? image.webp({ quality: 80 }) : image.png();
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return { data, contentType: type, width: info.width, height: info.pageHeight ?? info.height };
  }
}

function baseType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}
