"""The words the stored statistics use in their text columns, defined once for the code that writes and reads them."""

MIN_SEEDS = 3  # fewer finished seeds give no interval
TOO_FEW_SEEDS = "too few seeds"  # the `note` of a row without an interval for that reason

# the `kind` of a row of the baselines table
BASELINE = "baseline"
LEADER_VS_BASELINE = "leader vs baseline"
LEADER_VS_RUNNER_UP = "leader vs runner-up"
