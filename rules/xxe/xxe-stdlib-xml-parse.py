# Test cases for xxe-stdlib-xml-parse: standard-library XML parsers on input the code did not write.
import glob
import os
import xml.etree.ElementTree as ET
import xml.sax
import xmlrpc.client
import xmlrpc.server
from xml.dom import minidom, pulldom
from xml.dom.minidom import parseString
from xml.etree import ElementTree
from xml.etree.ElementTree import fromstring, iterparse
from xml.etree.ElementTree import parse as parse_xml

import defusedxml.ElementTree as DET
import requests
from defusedxml.minidom import parseString as safe_parse_string

ANN_DIR = "/kaggle/input/pascal-voc-2012/VOC2012/Annotations"


def read_voc(xml_path):
    # ruleid: xxe-stdlib-xml-parse
    tree = ET.parse(xml_path)
    root = tree.getroot()
    boxes = []
    for obj in root.findall("object"):
        bb = obj.find("bndbox")
        boxes.append([int(bb.find(t).text) for t in ("xmin", "ymin", "xmax", "ymax")])
    return boxes


for f in sorted(glob.glob(os.path.join(ANN_DIR, "*.xml"))):
    # ruleid: xxe-stdlib-xml-parse
    root = ElementTree.parse(f).getroot()

# ruleid: xxe-stdlib-xml-parse
tree = parse_xml("/kaggle/input/annotations/000001.xml")

resp = requests.get("https://export.arxiv.org/api/query?search_query=cat:cs.LG&max_results=50")
# ruleid: xxe-stdlib-xml-parse
feed = fromstring(resp.text)

with open("data/pubmed.xml") as fh:
    # ruleid: xxe-stdlib-xml-parse
    doc = minidom.parseString(fh.read())

# ruleid: xxe-stdlib-xml-parse
dom = minidom.parse("data/config.xml")

# ruleid: xxe-stdlib-xml-parse
for event, elem in iterparse("data/Posts.xml", events=("end",)):
    elem.clear()

# ruleid: xxe-stdlib-xml-parse
events = pulldom.parse("data/large_dump.xml")


class TitleHandler(xml.sax.ContentHandler):
    def startElement(self, name, attrs):
        pass


# ruleid: xxe-stdlib-xml-parse
xml.sax.parse("data/enwiki.xml", TitleHandler())

# ruleid: xxe-stdlib-xml-parse
sax_parser = xml.sax.make_parser()

# ruleid: xxe-stdlib-xml-parse
pull = ET.XMLPullParser(events=("start", "end"))
pull.feed(resp.content)

# ruleid: xxe-stdlib-xml-parse
tree = ET.parse("data/cvat_annotations.xml", parser=ET.XMLParser(encoding="utf-8"))

# ruleid: xxe-stdlib-xml-parse
proxy = xmlrpc.client.ServerProxy("https://pypi.org/pypi")

# --- near misses -------------------------------------------------------------------

# defusedxml's drop-in replacements
# ok: xxe-stdlib-xml-parse
tree = DET.parse("/kaggle/input/annotations/000001.xml")
# ok: xxe-stdlib-xml-parse
doc = safe_parse_string(resp.text)

# XML written in the notebook itself
# ok: xxe-stdlib-xml-parse
cfg = ET.fromstring("<config><lr>0.001</lr><batch>32</batch></config>")

VOC_TEMPLATE = """<annotation>
  <folder>VOC2012</folder>
  <filename>placeholder.jpg</filename>
</annotation>"""
# ok: xxe-stdlib-xml-parse
ann = ET.fromstring(VOC_TEMPLATE)

name = "dog"
# ok: xxe-stdlib-xml-parse
obj = ET.fromstring(f"<object><name>{name}</name></object>")

# Building and writing XML is not parsing it.
annotation = ET.Element("annotation")
# ok: xxe-stdlib-xml-parse
ET.SubElement(annotation, "filename").text = "000001.jpg"
# ok: xxe-stdlib-xml-parse
xml_str = ET.tostring(annotation, encoding="unicode")
# ok: xxe-stdlib-xml-parse
ET.ElementTree(annotation).write("out/000001.xml")

# The usual pretty-printing recipe re-parses a tree the code built itself.
# ok: xxe-stdlib-xml-parse
pretty = minidom.parseString(ET.tostring(annotation)).toprettyxml(indent="  ")


def prettify(elem):
    rough_string = ElementTree.tostring(elem, "utf-8")
    # ok: xxe-stdlib-xml-parse
    reparsed = parseString(rough_string)
    return reparsed.toprettyxml(indent="  ")


# A local XML-RPC service started by the notebook itself.
# ok: xxe-stdlib-xml-parse
local = xmlrpc.client.ServerProxy("http://localhost:8000/")

# Handed to a parse call that is reported itself.
builder_parser = ET.XMLParser(target=ET.TreeBuilder())
# ruleid: xxe-stdlib-xml-parse
tree = ET.parse("data/cvat_annotations.xml", parser=builder_parser)

# ruleid: xxe-stdlib-xml-parse
proxy = xmlrpc.client.ServerProxy(os.environ.get("RPC_URL", "https://rpc.example.org/"), allow_none=True)

# ok: xxe-stdlib-xml-parse
server = xmlrpc.server.SimpleXMLRPCServer(("localhost", 8000), allow_none=True)

import xml.sax.expatreader

# ruleid: xxe-stdlib-xml-parse
voc_parser = xml.sax.expatreader.create_parser()
voc_parser.parse("annotations/voc_0001.xml")
