"""Files the ingestion tests make themselves: PDFs with known text on known pages, web pages, a local server."""

from __future__ import annotations

import http.server
import threading
import time
from contextlib import contextmanager

PDF_PAGES = [
    "Detention report, first page.\nThe commission visited the Gobustan prison in the spring of 2022.",
    "Second page.\nThe inspector Farid Aliyev counted 41 inmates in the eastern wing of the Gobustan prison.",
    "Third page.\nThe ministry answered the commission on 9 September 2022 and promised a new inspection.",
]
LEFT_COLUMN = "The harbour master Zaur Quliyev closed the Lankaran pier after the storm of 12 January."
RIGHT_COLUMN = "The port authority reopened the Lankaran pier for fishing boats on 20 February."


def make_pdf(pages: list[str], title: str = "", author: str = "", columns: tuple[str, str] | None = None) -> bytes:
    """A PDF (fpdf2) with each text on its own page, and with `columns` a last page of two columns."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    if columns:
        pdf.add_page()
        pdf.set_xy(10, 20)
        pdf.multi_cell(85, 6, columns[0])
        pdf.set_xy(110, 20)
        pdf.multi_cell(85, 6, columns[1])
    return bytes(pdf.output())


def make_scanned_pdf() -> bytes:
    """Pages with only a drawing on them: a PDF without a text layer, as a scan is."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 120, 160, style="F")
    return bytes(pdf.output())


ARTICLE_HTML = """<!doctype html><html lang="en"><head><title>Pier closed | Caspian Wire</title>
<meta property="og:title" content="Lankaran pier closed after the storm">
<meta property="og:site_name" content="Caspian Wire">
<meta property="article:published_time" content="2023-01-13T08:30:00+04:00">
<meta name="author" content="Leyla Karimova">
</head><body><nav>Home | World | Sport</nav><article><h1>Lankaran pier closed after the storm</h1>
<p>The harbour master Zaur Quliyev closed the Lankaran pier on Thursday after a storm damaged its north end.</p>
<p>Fishing boats were sent to Astara until the repairs, which the port authority expects to take six weeks.</p>
<p>Quliyev said the pier had last been repaired in 2017, when a ferry struck its eastern side.</p>
</article><footer>Copyright 2024 Caspian Wire</footer></body></html>"""

# States no date anywhere in its head; its text names years. A byline is printed, nothing else.
UNDATED_HTML = """<!doctype html><html><head><title>Dam inspection in Kelbajar</title></head><body>
<article><h1>Dam inspection in Kelbajar</h1><p class="byline">By Leyla Karimova</p>
<p>The Kelbajar reservoir dam, built in 2017, was inspected by the hydraulic engineer Rauf Mammadli.</p>
<p>He reported a crack fourteen metres long in the northern spillway, the first one since 2019.</p>
<p>The ministry said it would repair the spillway before the spring floods of the coming year.</p>
</article></body></html>"""

JSON_LD_HTML = """<html><head><title>x</title><script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "Site"},
 {"@type": "NewsArticle", "headline": "Court reopens the Tartar case", "datePublished": "2024-06-02",
  "author": [{"@type": "Person", "name": "Anar Mammadov"}], "publisher": {"@type": "Organization", "name": "Meydan TV"}}]}
</script></head><body><article><p>The court in Baku reopened the Tartar case on Monday after new testimony.</p>
<p>Relatives of the servicemen who died in 2017 asked for a public hearing of every witness.</p>
<p>The prosecutor said the investigation would take at least three more months to complete.</p></article></body></html>"""


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes: /article.html, /undated.html, /report.pdf, /missing (404), /data.json (JSON), /huge.html (over
    the cap), /slow.html (answers after 3 s), /to-ftp (a redirect to ftp://), /moved (a redirect to /article.html),
    /to-localhost (a redirect to the same server named localhost)."""

    pdf = b""

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        routes = {
            "/article.html": (200, "text/html; charset=utf-8", ARTICLE_HTML.encode()),
            "/undated.html": (200, "text/html", UNDATED_HTML.encode()),
            "/report.pdf": (200, "application/pdf", self.pdf),
            "/data.json": (200, "application/json", b'{"a": 1}'),
            "/huge.html": (200, "text/html", b"<html><body>" + b"<p>word</p>" * 200_000 + b"</body></html>"),
        }
        if self.path == "/slow.html":
            time.sleep(3)
            routes[self.path] = routes["/article.html"]
        if self.path in ("/to-ftp", "/moved", "/to-localhost"):
            targets = {"/to-ftp": "ftp://127.0.0.1/file.html", "/moved": "/article.html",
                       "/to-localhost": f"http://localhost:{self.server.server_address[1]}/article.html"}
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, kind, body = routes.get(self.path, (404, "text/html", b"<html>not here</html>"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def local_server():
    """An HTTP server on 127.0.0.1 in a thread; yields its base address."""
    Handler.pdf = make_pdf(PDF_PAGES, title="Detention report 2022")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
