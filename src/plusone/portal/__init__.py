"""The client portal (/me/). STAND-IN for the integrator's shell: replaced on merge."""
