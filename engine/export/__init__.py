"""Pictures and files made from a run: filmstrips, drift charts, a FiftyOne dataset."""
