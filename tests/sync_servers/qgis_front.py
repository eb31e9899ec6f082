"""QGIS Server 3.22 (python3-qgis QgsServer) behind Python's http.server on
loopback, for the sync tests: unlike qgis_mapserver it answers POST bodies
holding non-ASCII UTF-8 (see shared/SYNC-SERVERS.md).

Usage (Debian's /usr/bin/python3): qgis_front.py PROJECT.qgs PORT
"""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QByteArray
from qgis.server import (QgsBufferServerRequest, QgsBufferServerResponse,
                         QgsServer, QgsServerRequest)

project_path, port = sys.argv[1], int(sys.argv[2])
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
        self.send_response(resp.statusCode())
        for key, value in resp.headers().items():
            if key.lower() not in ('content-length', 'connection'):
                self.send_header(key, value)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


# One request at a time: QgsServer is not thread-safe.
HTTPServer(('127.0.0.1', port), Handler).serve_forever()
