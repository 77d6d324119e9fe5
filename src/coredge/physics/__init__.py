"""Physics of AI compute: serving profiles, training estimates, facility power/PUE/cooling,
backup power and carbon.

Modules: `coredge.physics.serving` (roofline decode/prefill and the planner's capacity point),
`coredge.physics.profile_fit` (its fitted parameters and board power),
`coredge.physics.engines` (serving engines' documented limits), `coredge.physics.throughput`
(continuous batching, engine limits, queueing under load), `coredge.physics.engine_calibration`
(fit on H100 engine tables), `coredge.physics.engine_profile` (what ``coredge profile --isl``
prints), `coredge.physics.training`, `coredge.physics.facility`, `coredge.physics.carbon`.
"""
