"""Service cards (便民服务卡): who answers for a street, and how to reach them."""
