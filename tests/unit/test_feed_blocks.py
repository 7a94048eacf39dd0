"""The feeds' partners kept in blocks: the same bytes as joining every partner in order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from consumers.read_side.feed_blocks import FeedBlocks

names = st.text(alphabet="abcde", min_size=1, max_size=3)
changes = st.lists(st.tuples(st.booleans(), names, st.sampled_from(["1", "2"])), max_size=200)


@given(changes)
def test_blocks_hold_the_partners_in_feed_order_through_any_changes(
    steps: list[tuple[bool, str, str]],
) -> None:
    # given small blocks and a plain dictionary to compare with
    blocks, expected = FeedBlocks(block=4), dict[tuple[str, str], bytes]()

    # when partners come, change and go in any order
    for present, name, partner in steps:
        key = (name, partner)
        if present:
            fragment = f"{name}/{partner}/{len(expected)}".encode()
            blocks.put(key, fragment, fragment + b"\r\n")
            expected[key] = fragment
        else:
            blocks.discard(key)
            expected.pop(key, None)
        blocks.json_parts()  # joined and kept: a later change must join its block again

    # then the blocks join to every partner's bytes in key order, and count them
    ordered = [expected[key] for key in sorted(expected)]
    assert b",\n".join(blocks.json_parts()) == b",\n".join(ordered)
    assert b"".join(blocks.csv_parts()) == b"".join(f + b"\r\n" for f in ordered)
    assert len(blocks) == len(expected)


def test_a_change_joins_again_only_the_block_it_is_in() -> None:
    # given a thousand partners in blocks of eight, joined once
    blocks = FeedBlocks(block=8)
    for number in range(1000):
        blocks.put((f"{number:04d}", "p"), b"x", b"y")
    before = blocks.json_parts()

    # when one partner changes in place
    blocks.put(("0500", "p"), b"z", b"y")
    after = blocks.json_parts()

    # then every other block's joined bytes are the very objects joined before
    changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old is not new]
    assert len(changed) == 1
    assert b"z" in after[changed[0]]
