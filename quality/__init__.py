"""wslab.quality: agreement statistics, evaluation metrics, label issues and relabel queues."""
