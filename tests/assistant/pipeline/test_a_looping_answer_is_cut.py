from __future__ import annotations

import pytest

from assistant.models import Message
from assistant.pipeline import answer, answer_stream, conversation_start
from assistant.repetition import cut_loop, loop_start


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("It offers high-end, high-end, high-end, high-end, high-end", "It offers high-end"),
        (
            "The steps are:\n1. Open a current account [2]\n2. Open a current account [2]\n"
            "3. Open a current account [2]\n4. Open a",
            "The steps are:\n1. Open a current account [2]",
        ),
        (
            "[4] The Spark is a compact hatchback by Aventro. ---\n[5] The Spark is a compact "
            "hatchback by Aventro. ---\n[6] The",
            "[4] The Spark is a compact hatchback by Aventro.",
        ),
        (
            "1. Open the app now.\n2. Choose the smartphone option.\n3. Choose the smartphone option.\n4.",
            "1. Open the app now.\n2. Choose the smartphone option.",
        ),
        (
            "It has a 256GB UFS 3.1 SSD and more. The Pro has a 256GB UFS 3.1 SSD and more. "
            "It has a 256GB UFS 3.1 SSD and more. The",
            "It has a 256GB UFS 3.1 SSD and more. The Pro has a 256GB UFS 3.1 SSD and more.",
        ),
        (
            "Leave is 20 weeks. It is paid in full. Leave is 20 weeks. It is paid",
            "Leave is 20 weeks. It is paid in full.",
        ),
        (
            "a 2.0-liter turbo 6.0-liter turbo 6.0-liter turbo 6.0-liter turbo",
            "a 2.0-liter turbo 6.0-liter turbo",
        ),
        # Counting up: the same phrase with other numbers, five times in a row.
        (
            "Meals:\n[5] Daily meal allowance is 70 US dollars;\n"
            + "".join(f"[{n}] Daily allowance is {5 * n} euros;\n" for n in range(6, 12)),
            "Meals:\n[5] Daily meal allowance is 70 US dollars;\n[6] Daily allowance is 30 euros",
        ),
        # Counting: bare integers, each one more than the last, eight in a row.
        (
            "The locker sizes available at ZX Bank are: " + ", ".join(str(n) for n in range(1, 43)),
            "The locker sizes available at ZX Bank are",
        ),
        (
            "The ATMs in Chennai are at Anna Nagar. Others: 9, 10, 11, 12, 13, 14, 15, 16",
            "The ATMs in Chennai are at Anna Nagar. Others",
        ),
        # An answer that ran out of tokens in the middle of a word.
        (
            "The key features include: A high-quality, high-end, high-end, high-end, high-",
            "The key features include: A high-quality, high-end",
        ),
        # List numbers said twice are said once, also where the cut leaves one dangling.
        (
            "1. 1. Leave is 20 weeks.\n2. 2. The office closes in August.\n3. 3. Leave is 20 weeks.",
            "1. Leave is 20 weeks.\n2. The office closes in August.",
        ),
    ],
)
def test_a_repetition_is_cut_after_its_first_saying(text, kept):
    assert cut_loop(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "Employees may take 20 weeks of fully paid parental leave [1].",
        "Call 555 555 or write to hr@example.com.",  # two repeats are not yet a loop
        "Yes. Yes. The policy applies to everyone.",  # short sentences may repeat
        "1. Open the app. 2. Open the settings.",
        "It comes with 12 GB, 16 GB or 24 GB of memory.",  # numbers are words, not list counters
        # A list from a document: a name changes from item to item, or there are only four.
        "Band E1 starts at 30,000 euros. Band E2 starts at 35,000 euros. Band E3 starts at "
        "40,000 euros. Band E4 starts at 45,000 euros. Band E5 starts at 50,000 euros.",
        "Level 1 pays 100 euros. Level 2 pays 200 euros. Level 3 pays 300 euros. Level 4 pays 400 euros.",
        # Numbers from a document: not counting up by one, or not eight in a row.
        "Branches opened in 2019, 2020, 2021, 2022 and 2023.",
        "Sizes: 1, 2, 3, 4, 5 (large).",
        "Platforms 1, 2, 3, 4, 5, 6 and 7 have ATMs.",
        "Storage comes in 64, 128, 256, 512 and 1024 GB.",
    ],
)
def test_an_answer_without_a_loop_is_left_alone(text):
    assert loop_start(text) is None


def test_the_model_is_stopped_at_the_loop_and_the_answer_keeps_what_came_before(
    alice, model, retriever
):
    loop = " Every employee may take 20 weeks of fully paid parental leave."
    model.add_reply("Parental leave is paid [1]." + loop * 30)
    conversation = conversation_start(user=alice, question="How long is parental leave?")

    events = list(
        answer_stream(
            user=alice,
            conversation=conversation,
            question="How long is parental leave?",
            chat_model=model,
            retriever=retriever,
        )
    )

    # The model's stream was closed at the second saying of the sentence, not read to the end.
    streamed = "".join(e.data["text"] for e in events if e.type == "delta")
    assert streamed.count("20 weeks") <= 2
    done = events[-1].data
    assert done["status"] == Message.Status.COMPLETE
    assert done["content"] == (
        "Parental leave is paid [1]. Every employee may take 20 weeks of fully paid parental leave [1]."
    )
    message = Message.objects.get(pk=done["message_id"])
    assert message.trace["stopped"] == "the answer started repeating itself"
    assert [c["chunk_id"] for c in done["citations"]] == [1]


def test_an_answer_without_a_loop_is_unchanged(alice, model, retriever):
    model.add_reply("Employees may take 20 weeks. The leave is fully paid. Ask HR for the form.")

    result = answer(
        user=alice, question="How long is parental leave?", chat_model=model, retriever=retriever
    )

    assert result.text.startswith("Employees may take 20 weeks")
    assert result.text.rstrip(".").endswith("Ask HR for the form")
    assert "stopped" not in result.message.trace
