import torch
from torch.package import PackageImporter

importer = PackageImporter("exported/resnet_pkg.pt")
# ruleid: torch-package-load-pickle
net = importer.load_pickle("model", "model.pkl")
# ruleid: torch-package-load-pickle
head = torch.package.PackageImporter(path).load_pickle("head", "head.pkl")

# ok: torch-package-load-pickle
text = importer.load_text("meta", "README.txt")
# ok: torch-package-load-pickle
state = cache.load_pickle("model", "model.pkl")
