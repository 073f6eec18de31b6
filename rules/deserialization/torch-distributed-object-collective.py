# Tests for torch-distributed-object-collective.
import torch
import torch.distributed as dist

rank = dist.get_rank()
world_size = dist.get_world_size()

objects = [{"vocab": ["a", "b"]}] if rank == 0 else [None]
# ruleid: torch-distributed-object-collective
dist.broadcast_object_list(objects, src=0)

gathered = [None] * world_size
# ruleid: torch-distributed-object-collective
dist.all_gather_object(gathered, {"rank": rank, "loss": 0.1})

# ruleid: torch-distributed-object-collective
dist.gather_object(
    {"preds": [1, 2]},
    gathered if rank == 0 else None,
    dst=0,
)

out = [None]
# ruleid: torch-distributed-object-collective
dist.scatter_object_list(out, [{"shard": i} for i in range(world_size)], src=0)

# ruleid: torch-distributed-object-collective
torch.distributed.recv_object_list(out, src=0)

# Tensor collectives do not unpickle.
t = torch.zeros(4)
# ok: torch-distributed-object-collective
dist.broadcast(t, src=0)
# ok: torch-distributed-object-collective
dist.all_gather([torch.zeros(4) for _ in range(world_size)], t)
# ok: torch-distributed-object-collective
dist.all_reduce(t, op=dist.ReduceOp.SUM)
# The sender side only pickles.
# ok: torch-distributed-object-collective
dist.send_object_list([{"x": 1}], dst=1)


def from_import():
    from torch.distributed import all_gather_object

    res = [None] * 2
    # ruleid: torch-distributed-object-collective
    all_gather_object(res, rank)
    return res

