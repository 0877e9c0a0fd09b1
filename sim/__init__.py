"""sim: the heterogeneous cloud-scheduling simulator of Appendix H of the DG-PG paper, batched over copies."""
