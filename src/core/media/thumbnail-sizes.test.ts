import { expect } from 'chai';
import { isSmallerThanRequest, thumbnailDimensions, thumbnailSizeFor } from './thumbnail-sizes.ts';

describe('client-server-api "Thumbnails": sizes', function () {
  it('answers with the smallest default size of the method that is at least as large as asked', function () {
    expect(thumbnailSizeFor({ width: 20, height: 20, method: 'crop' })).to.deep.equal({ width: 32, height: 32, method: 'crop' });
    expect(thumbnailSizeFor({ width: 64, height: 64, method: 'crop' })).to.deep.equal({ width: 96, height: 96, method: 'crop' });
    expect(thumbnailSizeFor({ width: 100, height: 100, method: 'scale' })).to.deep.equal({ width: 320, height: 240, method: 'scale' });
    expect(thumbnailSizeFor({ width: 500, height: 300, method: 'scale' })).to.deep.equal({ width: 640, height: 480, method: 'scale' });
  });

  it('makes the requested size when no default is large enough, or (crop) none has the aspect ratio asked', function () {
    expect(thumbnailSizeFor({ width: 1024, height: 768, method: 'scale' })).to.deep.equal({ width: 1024, height: 768, method: 'scale' });
    expect(thumbnailSizeFor({ width: 50, height: 30, method: 'crop' })).to.deep.equal({ width: 50, height: 30, method: 'crop' });
    expect(thumbnailSizeFor({ width: 200, height: 200, method: 'crop' })).to.deep.equal({ width: 200, height: 200, method: 'crop' });
  });

  it('scale keeps the image\'s aspect ratio inside the size and never upscales', function () {
    expect(thumbnailDimensions({ width: 4000, height: 3000 }, { width: 320, height: 240, method: 'scale' })).to.deep.equal({ width: 320, height: 240 });
    expect(thumbnailDimensions({ width: 4000, height: 1000 }, { width: 320, height: 240, method: 'scale' })).to.deep.equal({ width: 320, height: 80 });
    expect(thumbnailDimensions({ width: 700, height: 500 }, { width: 800, height: 600, method: 'scale' })).to.deep.equal({ width: 700, height: 500 });
  });

  it('crop fills the size\'s aspect ratio and never upscales', function () {
    expect(thumbnailDimensions({ width: 4000, height: 3000 }, { width: 96, height: 96, method: 'crop' })).to.deep.equal({ width: 96, height: 96 });
    expect(thumbnailDimensions({ width: 50, height: 1000 }, { width: 96, height: 96, method: 'crop' })).to.deep.equal({ width: 50, height: 50 });
    expect(thumbnailDimensions({ width: 300, height: 80 }, { width: 200, height: 100, method: 'crop' })).to.deep.equal({ width: 160, height: 80 });
  });

  it('an image no larger than the request in both dimensions is answered as it is', function () {
    expect(isSmallerThanRequest({ width: 30, height: 20 }, { width: 32, height: 32 })).to.equal(true);
    expect(isSmallerThanRequest({ width: 40, height: 20 }, { width: 32, height: 32 })).to.equal(false);
  });
});
