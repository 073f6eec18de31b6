"""Pickle-based artifacts, checked without unpickling.

``formats`` finds every pickle stream in a file (zip, tar, npy, compressed, stacked),
``machine`` walks one stream's opcodes symbolically, ``policy`` judges what it imports;
``stream``, ``values`` and ``arrays`` are their small helpers.
"""
