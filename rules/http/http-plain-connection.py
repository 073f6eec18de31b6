# Test cases for http-plain-connection: http.client.HTTPConnection and friends (always plain HTTP).
import http.client
import json
import os
from http.client import HTTPConnection
from http.client import HTTPConnection as Conn

import urllib3

# ruleid: http-plain-connection
conn = http.client.HTTPConnection("api.example-weather.org")
conn.request("GET", "/v1/forecast?city=Paris")
data = json.loads(conn.getresponse().read())

# ruleid: http-plain-connection
conn = HTTPConnection("archive.ics.uci.edu", 80, timeout=10)

# ruleid: http-plain-connection
conn = Conn(host=os.environ["INFERENCE_HOST"], port=8000)

API_HOST = "vision.example-cloud.com"
# ruleid: http-plain-connection
conn = http.client.HTTPConnection(API_HOST)

# ruleid: http-plain-connection
pool = urllib3.HTTPConnectionPool("files.example-lab.org", maxsize=4)

# ok: http-plain-connection
conn = http.client.HTTPSConnection("api.example-weather.org")

# ok: http-plain-connection
conn = http.client.HTTPConnection("localhost", 8501)

# ok: http-plain-connection
conn = HTTPConnection("127.0.0.1:8080")

# ok: http-plain-connection
conn = HTTPConnection(host="localhost", port=5000)

# ok: http-plain-connection
pool = urllib3.HTTPSConnectionPool("files.example-lab.org")

# ok: http-plain-connection
conn = http.client.HTTPConnection("tfserving", 8501)
# ok: http-plain-connection
conn = http.client.HTTPConnection("169.254.169.254", timeout=2)

# ruleid: http-plain-connection
conn = http.client.HTTPConnection(os.getenv("WEATHER_HOST", "api.example-weather.org"), timeout=5)

LOCAL_HOST = "localhost"
# ok: http-plain-connection
conn = http.client.HTTPConnection(LOCAL_HOST, 8080)
