// One daemon at a time: the cases measure memory and time, and the machines that run them have two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
