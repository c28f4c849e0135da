"""Prints the greedy continuation of argv[1] (argv[2] tokens), streamed."""
import sys

import bitnet

with bitnet.Model() as m:
    text = "".join(m.generate(sys.argv[1], max_tokens=int(sys.argv[2]), stream=True))
    assert text == m.generate(sys.argv[1], max_tokens=int(sys.argv[2])), "stream and whole text differ"
    print(text)
