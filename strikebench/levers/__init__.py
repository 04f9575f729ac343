"""Who acts (selectors) and what they do (levers), as dataset transforms.

A lever takes a :class:`~strikebench.levers.state.LeverState` and returns a new one. Levers
compose like torchvision transforms: ``Compose([Strike(), ...])(state)``.
"""
