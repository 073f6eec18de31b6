# Test cases for xxe-lxml-default-parser: lxml parsing without a parser that turns entity resolution off.
import glob
import io

import requests
from lxml import etree, objectify
from lxml import etree as ET
from lxml.etree import XMLParser, fromstring, iterparse
from lxml.etree import parse as lxml_parse

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)

# ruleid: xxe-lxml-default-parser
tree = etree.parse("/kaggle/input/pascal-voc-2012/VOC2012/Annotations/2007_000027.xml")

for path in glob.glob("/kaggle/input/annotations/*.xml"):
    # ruleid: xxe-lxml-default-parser
    root = ET.parse(path).getroot()
    boxes = [obj.find("bndbox") for obj in root.iter("object")]

resp = requests.get("https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml")
# ruleid: xxe-lxml-default-parser
root = fromstring(resp.content)

with open("data/pubmed_abstracts.xml", "rb") as f:
    # ruleid: xxe-lxml-default-parser
    doc = etree.XML(f.read())

# ruleid: xxe-lxml-default-parser
tree = lxml_parse(io.BytesIO(resp.content))

parser = etree.XMLParser(remove_blank_text=True, huge_tree=True)
# ruleid: xxe-lxml-default-parser
tree = etree.parse("data/wiki_dump.xml", parser)

# ruleid: xxe-lxml-default-parser
tree = etree.parse("data/wiki_dump.xml", parser=XMLParser(remove_comments=True))

# ruleid: xxe-lxml-default-parser
cfg = objectify.parse("config/experiment.xml")

# ruleid: xxe-lxml-default-parser
for event, elem in iterparse("data/Posts.xml", events=("end",), tag="row"):
    elem.clear()

# ruleid: xxe-lxml-default-parser
for event, elem in etree.iterparse(
    "data/enwiki-latest-pages-articles.xml",
    events=("start", "end"),
):
    pass

# ok: xxe-lxml-default-parser
tree = etree.parse("data/wiki_dump.xml", parser=SAFE_PARSER)

# ok: xxe-lxml-default-parser
tree = etree.parse("data/wiki_dump.xml", SAFE_PARSER)

# ok: xxe-lxml-default-parser
root = etree.fromstring(resp.content, parser=etree.XMLParser(resolve_entities=False))

# ok: xxe-lxml-default-parser
root = etree.fromstring(resp.content, etree.XMLParser(resolve_entities="internal", no_network=True))

# ok: xxe-lxml-default-parser
for event, elem in etree.iterparse("data/Posts.xml", tag="row", resolve_entities=False):
    elem.clear()

# ok: xxe-lxml-default-parser
for event, elem in etree.iterparse("data/page.html", html=True):
    pass

# ok: xxe-lxml-default-parser
tree = etree.parse("data/page.html", etree.HTMLParser())

# XML written in the notebook itself is not external input.
# ok: xxe-lxml-default-parser
root = etree.fromstring("<config><lr>0.001</lr><epochs>10</epochs></config>")

TEMPLATE = """<annotation><folder>images</folder></annotation>"""
# ok: xxe-lxml-default-parser
root = etree.XML(TEMPLATE)

# ok: xxe-lxml-default-parser
root = etree.fromstring(f"<object><name>{'dog'}</name></object>")

# ok: xxe-lxml-default-parser
copy = etree.fromstring(etree.tostring(root))

# Building and serialising trees is not parsing.
annotation = etree.Element("annotation")
# ok: xxe-lxml-default-parser
etree.SubElement(annotation, "filename").text = "000001.jpg"
# ok: xxe-lxml-default-parser
xml_bytes = etree.tostring(annotation, pretty_print=True)

# lxml.html parses HTML with libxml2's HTML parser, which does not load DTD entities.
from lxml import html

# ok: xxe-lxml-default-parser
page = html.fromstring(requests.get("https://en.wikipedia.org/wiki/Iris_flower_data_set").content)

# A parser whose settings come from elsewhere is not judged here.
def load(path, parser):
    # ok: xxe-lxml-default-parser
    return etree.parse(path, parser)

# Parsers that turn entity loading on are reported by xxe-lxml-entities-enabled instead.
# ok: xxe-lxml-default-parser
tree = etree.parse("data/wiki_dump.xml", etree.XMLParser(load_dtd=True))
