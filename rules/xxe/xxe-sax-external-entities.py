import xml.sax
from xml.sax.handler import feature_external_ges, feature_external_pes

reader = xml.sax.make_parser()
# ruleid: xxe-sax-external-entities
reader.setFeature(feature_external_ges, True)
# ruleid: xxe-sax-external-entities
reader.setFeature(xml.sax.handler.feature_external_pes, 1)
# ruleid: xxe-sax-external-entities
reader.setFeature("http://xml.org/sax/features/external-general-entities", True)

# ok: xxe-sax-external-entities
reader.setFeature(feature_external_ges, False)
# ok: xxe-sax-external-entities
reader.setFeature(feature_external_pes, 0)
# ok: xxe-sax-external-entities
reader.setFeature(xml.sax.handler.feature_namespaces, True)
