"""An upload handler that refuses a too-big upload while it streams in: as soon as the
request says (Content-Length) or shows (bytes received) that the file is over
IMPORT_MAX_MB, the rest of the body is read and discarded; nothing is kept in memory or
on disk."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# The multipart body holds the CSRF token and the boundaries besides the file.
OVERHEAD = 64 * 1024


class SizeLimitHandler(FileUploadHandler):
    exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = settings.IMPORT_MAX_MB * 1024 * 1024
        self.exceeded = bool(content_length) and content_length > self.limit + OVERHEAD

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.exceeded:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
