"""Physics of AI compute: serving profiles, training estimates, facility power/PUE/cooling,
backup power and carbon.

Modules: `coredge.physics.serving`, `coredge.physics.training`, `coredge.physics.facility`,
`coredge.physics.carbon`.
"""
