"""An upload handler that refuses a too-big upload while it streams in: as soon as the
request says (Content-Length) or shows (bytes received) that the file is over
IMPORT_MAX_MB, every further chunk is dropped as it arrives. The body is still read to its
end, in the parser's small chunks (so the browser gets the answer, not a reset
connection), but nothing of it is kept in memory or on disk.

(Django's own `StopUpload(connection_reset=False)` is not used: it drains the rest of the
body line by line, and a body without line breaks would then be read in one piece.)
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

# The multipart body holds the CSRF token and the boundaries besides the file.
OVERHEAD = 64 * 1024


class SizeLimitHandler(FileUploadHandler):
    exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = settings.IMPORT_MAX_MB * 1024 * 1024
        self.exceeded = bool(content_length) and content_length > self.limit + OVERHEAD

    def receive_data_chunk(self, raw_data, start):
        if self.exceeded or start + len(raw_data) > self.limit:
            self.exceeded = True
            return None  # the next handlers never see it
        return raw_data

    def file_complete(self, file_size):
        return None
