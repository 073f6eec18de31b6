# Test cases for xxe-lxml-entities-enabled: lxml parsers configured to resolve entities / load DTDs.
from lxml import etree, objectify
from lxml.etree import XMLParser
from lxml.etree import iterparse as lxml_iterparse

# ruleid: xxe-lxml-entities-enabled
parser = etree.XMLParser(resolve_entities=True)

# ruleid: xxe-lxml-entities-enabled
parser = XMLParser(remove_blank_text=True, no_network=False)

# ruleid: xxe-lxml-entities-enabled
tree = etree.parse("data/tei_corpus.xml", etree.XMLParser(load_dtd=True))

# ruleid: xxe-lxml-entities-enabled
parser = etree.XMLParser(
    remove_blank_text=True,
    dtd_validation=True,
)

# ruleid: xxe-lxml-entities-enabled
for _, elem in lxml_iterparse("data/dblp.xml", events=("end",), load_dtd=True, resolve_entities=True):
    elem.clear()

# ruleid: xxe-lxml-entities-enabled
oparser = objectify.makeparser(resolve_entities=True)

RESOLVE = True
# ruleid: xxe-lxml-entities-enabled
parser = etree.XMLParser(resolve_entities=RESOLVE)

# ok: xxe-lxml-entities-enabled
parser = etree.XMLParser(resolve_entities=False, no_network=True)

# ok: xxe-lxml-entities-enabled
parser = etree.XMLParser(remove_blank_text=True, huge_tree=True)

# ok: xxe-lxml-entities-enabled
parser = etree.XMLParser(load_dtd=False, resolve_entities="internal")

# ok: xxe-lxml-entities-enabled
parser = etree.HTMLParser(remove_comments=True)

# ok: xxe-lxml-entities-enabled
for _, elem in etree.iterparse("data/dblp.xml", events=("end",), resolve_entities=False):
    elem.clear()
