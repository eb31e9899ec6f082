"""QGIS Server 3.22 (python3-qgis QgsServer) behind Python's http.server on
loopback, for the sync tests: unlike qgis_mapserver it answers POST bodies
holding non-ASCII UTF-8 (see shared/SYNC-SERVERS.md).

Usage (Debian's /usr/bin/python3): qgis_front.py PROJECT.qgs PORT
"""
import os
import sys
import gzip
from http.server import BaseHTTPRequestHandler, HTTPServer

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QByteArray
from qgis.server import (QgsBufferServerRequest, QgsBufferServerResponse,
                         QgsServer, QgsServerRequest)

project_path, port = sys.argv[1], int(sys.argv[2])
# Two processes on one listening socket, as a portal runs QGIS Server under
# FastCGI with several: one request at a time each (QgsServer is not
# thread-safe), forked before Qt starts. They share the process group that
# stop.sh ends.
PROCESSES = 2
listener = HTTPServer(('127.0.0.1', port), BaseHTTPRequestHandler, bind_and_activate=True)
for _ in range(PROCESSES - 1):
    if os.fork() == 0:
        break
QgsApplication.setPrefixPath('/usr', True)
app = QgsApplication([], False)
server = QgsServer()
project = QgsProject()
if not project.read(project_path):
    sys.exit(f'cannot read {project_path}')

METHODS = {
    'GET': QgsServerRequest.GetMethod, 'HEAD': QgsServerRequest.HeadMethod,
    'POST': QgsServerRequest.PostMethod, 'PUT': QgsServerRequest.PutMethod,
    'DELETE': QgsServerRequest.DeleteMethod,
    'PATCH': QgsServerRequest.PatchMethod,
}


class Handler(BaseHTTPRequestHandler):
    def handle_any(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        req = QgsBufferServerRequest(
            f'http://127.0.0.1:{port}{self.path}', METHODS[self.command],
            dict(self.headers.items()), QByteArray(body))
        resp = QgsBufferServerResponse()
        server.handleRequest(req, resp, project)
        data = bytes(resp.body())
        # As a portal's Apache or nginx in front of QGIS does (gzip on).
        gzipped = 'gzip' in (self.headers.get('Accept-Encoding') or '') and len(data) > 1024
        if gzipped:
            data = gzip.compress(data, 6)
        self.send_response(resp.statusCode())
        for key, value in resp.headers().items():
            if key.lower() not in ('content-length', 'connection'):
                self.send_header(key, value)
        if gzipped:
            self.send_header('Content-Encoding', 'gzip')
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


listener.RequestHandlerClass = Handler
listener.serve_forever()
