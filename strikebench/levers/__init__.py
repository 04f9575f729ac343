"""Who acts (selectors) and what they do (levers), as dataset transforms.

A selector picks the group who may act, the participants are drawn from it, and a lever takes
a :class:`LeverState` and returns a new one. Selectors and levers follow one protocol
(strikebench/levers/base.py, after torchvision's transforms v2): parameters are checked when
one is made, the data is read when it is called, and levers compose in order.

Three users, two training interactions each; one of them strikes, then (from a fresh start)
the same participant moves their data to a competitor:

>>> import numpy as np
>>> from types import SimpleNamespace
>>> from strikebench.data.split import FixedSplit
>>> from strikebench.levers import Competitor, Compose, Strike, Transfer, draw_participants, initial_state
>>> data = SimpleNamespace(user=np.array([1, 1, 1, 2, 2, 2, 3, 3, 3]), item=np.array([1, 2, 3] * 3))
>>> split = FixedSplit(train=np.array([0, 1, 3, 4, 6, 7]), valid=np.array([], dtype=np.int64),
...                    test=np.array([2, 5, 8]))
>>> participants = draw_participants(np.array([1, 2, 3]), 1 / 3, seed=0, group_name="all users")
>>> participants.users
array([3])
>>> state = Strike()(initial_state(data, split, participants))
>>> state.companies["incumbent"].train
array([0, 1, 3, 4])
>>> state.actions
[{'lever': 'strike', 'company': 'incumbent', 'removed_train': 2, 'removed_valid': 0}]
>>> moved = Compose([Competitor(base_share=0.0), Transfer(), Strike()])(initial_state(data, split, participants))
>>> moved.companies["competitor"].train, moved.companies["incumbent"].train
(array([6, 7]), array([0, 1, 3, 4]))
>>> [action["lever"] for action in moved.actions]
['competitor', 'transfer', 'strike']

A bad parameter stops when the lever is made, naming its config field:

>>> from strikebench.levers import PartialStrike
>>> PartialStrike(share=1.5)
Traceback (most recent call last):
    ...
strikebench.errors.ConfigError: strike.lever.share: 1.5 is out of range (allowed: 0.0 <= share <= 1.0)
"""
from strikebench.levers.base import Group, Lever, Selector, Where
from strikebench.levers.compose import Compose
from strikebench.levers.participants import Participants, draw_participants
from strikebench.levers.partial_strike import PartialStrike
from strikebench.levers.poison import Poison
from strikebench.levers.selectors import ActivitySelector, AttributeSelector, FansSelector, RandomSelector
from strikebench.levers.state import Change, CompanyView, LeverState, initial_state
from strikebench.levers.strike import Strike
from strikebench.levers.temporal_strike import TemporalStrike
from strikebench.levers.transfer import Competitor, Transfer

__all__ = [
    "ActivitySelector", "AttributeSelector", "Change", "CompanyView", "Competitor", "Compose", "FansSelector",
    "Group", "Lever", "LeverState", "Participants", "PartialStrike", "Poison", "RandomSelector", "Selector",
    "Strike", "TemporalStrike", "Transfer", "Where", "draw_participants", "initial_state",
]
