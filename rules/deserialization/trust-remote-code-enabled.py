# Notebook-style tests for trust-remote-code-enabled.
import torch
import transformers
from datasets import load_dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

MODEL = "/kaggle/input/phi-2/transformers/default/1"

# ruleid: trust-remote-code-enabled
tokenizer = AutoTokenizer.from_pretrained(MODEL, trust_remote_code=True)

# ruleid: trust-remote-code-enabled
model = AutoModelForCausalLM.from_pretrained(
    "some-org/custom-arch-7b",
    torch_dtype=torch.bfloat16,
    device_map="auto",
    trust_remote_code=True,
)

# ruleid: trust-remote-code-enabled
gen = pipeline("text-generation", model="some-org/custom-arch-7b", trust_remote_code=True)

# ruleid: trust-remote-code-enabled
ds = load_dataset("some-user/scripted-dataset", split="train", trust_remote_code=True)

# ruleid: trust-remote-code-enabled
cfg = transformers.AutoConfig.from_pretrained("some-org/custom-arch-7b", trust_remote_code=True)

# ruleid: trust-remote-code-enabled
model_kwargs = {"torch_dtype": torch.float16, "trust_remote_code": True}

gen2 = pipeline(
    "text-generation",
    model="some-org/custom-arch-7b",
    # ruleid: trust-remote-code-enabled
    model_kwargs=dict(trust_remote_code=True),
)

# One finding per call, not a second one for the dict inside it.
# ruleid: trust-remote-code-enabled
gen3 = pipeline("text-generation", model=MODEL, trust_remote_code=True, model_kwargs={"trust_remote_code": True})

# ok: trust-remote-code-enabled
tok = AutoTokenizer.from_pretrained("bert-base-uncased")
# ok: trust-remote-code-enabled
m2 = AutoModelForCausalLM.from_pretrained("gpt2", trust_remote_code=False)
# ok: trust-remote-code-enabled
ds2 = load_dataset("imdb", split="test")
# ok: trust-remote-code-enabled
flags = {"trust_remote_code": False}


def from_args(args):
    # A run-time value is not flagged (we cannot tell what it is).
    # ok: trust-remote-code-enabled
    return AutoModelForCausalLM.from_pretrained(args.model, trust_remote_code=args.trust_remote_code)


def other_libraries():
    from sentence_transformers import SentenceTransformer
    from vllm import LLM

    # ruleid: trust-remote-code-enabled
    emb = SentenceTransformer("some-org/custom-embedder", trust_remote_code=True)
    # ruleid: trust-remote-code-enabled
    llm = LLM(model="some-org/custom-arch-7b", trust_remote_code=True, dtype="half")
    return emb, llm


# Known gap: a default that switches it on for every caller is not reported.
# todoruleid: trust-remote-code-enabled
def load_model(name, trust_remote_code=True):
    return AutoModelForCausalLM.from_pretrained(name, trust_remote_code=trust_remote_code)
