#pragma once
// Puts a graph in evaluation mode (no dropout) for a scope, and restores its mode after.
namespace typegrad {

template <class Graph>
class evaluation_mode {
public:
    explicit evaluation_mode(Graph& graph) : graph_{graph}, was_training_{graph.training()} { graph.set_training(false); }
    ~evaluation_mode() { graph_.set_training(was_training_); }
    evaluation_mode(const evaluation_mode&) = delete;
    evaluation_mode& operator=(const evaluation_mode&) = delete;

private:
    Graph& graph_;
    bool was_training_;
};

}  // namespace typegrad
