"""The learner's record: progress of checked exercises, and the events other parts listen to."""
