"""Static files for the embedded demo: compressed with gzip only.

Brotli at WhiteNoise's quality costs about a minute for the API docs' bundles on a small machine
(when brotli is installed, as the dev tools install it); gzip takes a few seconds and every
browser reads it. Production (config.settings.production) keeps WhiteNoise's default, both.
"""

from whitenoise.storage import CompressedStaticFilesStorage


class GzipStaticFilesStorage(CompressedStaticFilesStorage):
    def create_compressor(self, **kwargs):
        return super().create_compressor(**{**kwargs, "use_brotli": False})
