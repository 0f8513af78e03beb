#define BOOST_TEST_DYN_LINK 1  // as Meson's boost dependency defines it (-DBOOST_TEST_DYN_LINK=1): no redefinition warning
#define BOOST_TEST_MODULE autodiff_random_dags
#include <boost/test/unit_test.hpp>

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>

// Randomly generated graphs, gradient-checked. A graph is a type, so "random" happens at compile time:
// random_dag<Seed> draws, from a constexpr pseudo-random function of the seed, a width, a depth, one
// operation per level with its operands among the nodes built so far (dense, tanh, sigmoid,
// softplus, softmax, square, exp of a small value, +, -, * of two earlier nodes, concat followed by
// dense, a named dense layer whose every use shares weights, x * sigmoid(x) with one node used twice),
// and a loss (mse, cross-entropy, sum of squares, binary cross-entropy, two losses added with
// weights), sometimes plus a weight penalty. Picking an earlier node again reuses its value: the
// graph computes it once, and its gradient is the sum over its uses. A second family is deep: 16 to
// 24 levels, each reusing the newest value twice (residual blocks h + f(h), gates h * g(h)), whose
// expression *trees* would hold up to 2^24 uses. Each of the DAGs is then checked at run time with
// random inputs: every parameter gradient (tg::gradient_check) and the gradient of an input against
// finite differences, with relative error at most 1e-6, and the graph's structure (one slot per
// distinct node, parameters with reuse and sharing counted once, by the graph and by the type)
// against an independent count.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <map>
#include <typeinfo>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

constexpr double tolerance = 1e-6;
// An input's gradient in a deep DAG, through 16 to 24 levels, is checked with central differences
// whose truncation and rounding errors reach a few 1e-6 there (the parameters' stay below 1e-6).
constexpr double deep_input_tolerance = 1e-5;
constexpr std::size_t batch = 3;
// Central differences: h ~ cbrt(eps) balances truncation (~h^2) and rounding (~eps |loss| / h).
constexpr double fd_step = 1e-5;

// ---- compile-time randomness ----

// splitmix64 of (seed, stream): independent draws for every decision of a DAG.
constexpr std::uint64_t mix(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t z = seed * 0x9e3779b97f4a7c15ULL + (stream + 1) * 0xd1b54a32d192ed03ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
constexpr std::size_t draw(std::uint64_t seed, std::uint64_t stream, std::size_t n) { return std::size_t(mix(seed, stream) % n); }

enum class op_kind { dense, dense_no_bias, tanh, sigmoid, softplus, softmax, square, small_exp, add, subtract, multiply, concat_dense, shared_dense, self_gate };
enum class loss_kind { mse, cross_entropy, sum_of_squares, binary_cross_entropy, two_losses };
enum class penalty_kind { none, l2, l1 };

// Repeats set the odds: binary operations (which reuse earlier values) and the named layer are frequent.
constexpr std::array op_table{op_kind::dense,    op_kind::dense,        op_kind::dense_no_bias, op_kind::tanh,         op_kind::tanh,
                              op_kind::sigmoid,  op_kind::softplus,     op_kind::softmax,       op_kind::square,       op_kind::small_exp,
                              op_kind::add,      op_kind::add,          op_kind::subtract,      op_kind::multiply,     op_kind::multiply,
                              op_kind::concat_dense, op_kind::concat_dense, op_kind::shared_dense, op_kind::shared_dense, op_kind::self_gate};

// Seeds from deep_seeds on make deep DAGs.
constexpr std::uint64_t deep_seeds = 5000;

template <std::uint64_t Seed>
struct dag_spec {
    static constexpr bool deep = Seed >= deep_seeds;
    static constexpr std::size_t width = 2 + draw(Seed, 0, 3);  // every hidden node is a shape<width>
    // 3 to 5 operations after the two stems, or 16 to 24 for a deep DAG
    static constexpr std::size_t depth = deep ? 16 + draw(Seed, 1, 9) : 3 + draw(Seed, 1, 3);
    static constexpr loss_kind loss = loss_kind(draw(Seed, 2, 5));
    static constexpr penalty_kind penalty = std::array{penalty_kind::none, penalty_kind::none, penalty_kind::l2, penalty_kind::l1}[draw(Seed, 3, 4)];
    // A third of the DAGs end in shared(newest) + shared(stem): the named layer used (at least) twice.
    static constexpr bool shared_tail = draw(Seed, 5, 3) == 0;
    static constexpr op_kind op(std::size_t level) { return op_table[draw(Seed, 100 + level, op_table.size())]; }
    // The first operand is the newest node half of the time (long chains), else any earlier node.
    static constexpr std::size_t first(std::size_t level, std::size_t pool) {
        return draw(Seed, 200 + level, 2) == 0 ? pool - 1 : draw(Seed, 300 + level, pool);
    }
    static constexpr std::size_t second(std::size_t level, std::size_t pool) { return draw(Seed, 400 + level, pool); }
};

// ---- type-level helpers ----

template <class N, class Leaf>
inline constexpr bool contains = tg::meta::contains<Leaf, tg::meta::set_of<typename N::order>>;

using x_leaf = std::remove_cvref_t<decltype(tg::input<4>)>;
using u_leaf = std::remove_cvref_t<decltype(tg::named_input<"u", 3>)>;
using target_leaf = std::remove_cvref_t<decltype(tg::target<3>)>;
using labels_leaf = std::remove_cvref_t<decltype(tg::labels<3>)>;

// ---- the generator ----

// The nodes built so far, newest first: a plain aggregate list (std::tuple and tuple_cat cost far more
// to compile). Element k counts from the oldest: element(0) is the first stem.
template <class... N>
struct pool;
template <>
struct pool<> {
    template <class New>
    pool<New> push(New node) const {
        return {std::move(node), {}};
    }
};
template <class Newest, class... Older>
struct pool<Newest, Older...> {
    static constexpr std::size_t size = 1 + sizeof...(Older);
    Newest newest;
    pool<Older...> older;

    template <std::size_t K>
    const auto& element() const {
        if constexpr (K + 1 == size)
            return newest;
        else
            return older.template element<K>();
    }
    template <class New>
    pool<New, Newest, Older...> push(New node) const {
        return {std::move(node), *this};
    }
};
template <class P, std::size_t K>
using element_type = std::remove_cvref_t<decltype(std::declval<const P&>().template element<K>())>;

template <std::size_t W>
auto shared_layer() {
    return tg::dense<W>.template named<"shared">();  // every use shares one weight matrix and bias
}

template <std::uint64_t Seed, std::size_t Level, class Pool>
auto make_op(const Pool& nodes) {
    using spec = dag_spec<Seed>;
    constexpr std::size_t W = spec::width;
    constexpr std::size_t n = Pool::size;
    const auto& a = nodes.template element<spec::first(Level, n)>();
    const auto& b = nodes.template element<spec::second(Level, n)>();
    constexpr op_kind op = spec::op(Level);

    if constexpr (spec::deep) {
        // Every level uses the newest value twice, once through a layer, and adds a bounded correction
        // to it: through the identity path the input's gradient neither vanishes nor blows up over 24
        // levels (finite differences could not check a gradient of 1e-7).
        const auto& newest = nodes.newest;
        if constexpr (draw(Seed, 500 + Level, 3) == 0)
            return newest + 0.5 * tg::tanh(tg::dense<W>(newest) + tg::dense<W>(b));  // a residual block, also reading b
        else if constexpr (draw(Seed, 500 + Level, 3) == 1)
            return newest + 0.5 * tg::tanh(newest) * tg::sigmoid(tg::dense<W>(tg::concat(newest, b)));  // a gated one
        else
            return newest - 0.5 * tg::tanh(shared_layer<W>()(newest));  // one sharing a named layer
    } else if constexpr (op == op_kind::dense) return tg::dense<W>(a);
    else if constexpr (op == op_kind::dense_no_bias) return tg::dense<W>.without_bias()(a);
    else if constexpr (op == op_kind::tanh) return tg::tanh(a);
    else if constexpr (op == op_kind::sigmoid) return tg::sigmoid(a);
    else if constexpr (op == op_kind::softplus) return tg::softplus(a);
    else if constexpr (op == op_kind::softmax) return tg::softmax(a);
    else if constexpr (op == op_kind::square) return 0.5 * tg::square(a);
    else if constexpr (op == op_kind::small_exp) return tg::exp(0.5 * tg::tanh(a));
    else if constexpr (op == op_kind::add) return a + b;
    else if constexpr (op == op_kind::subtract && std::is_same_v<decltype(a), decltype(b)>)
        return a + b;  // not a - a, nor the difference of two equal computations of one value: zero
    else if constexpr (op == op_kind::subtract) return a - b;
    else if constexpr (op == op_kind::multiply) return a * b;
    else if constexpr (op == op_kind::concat_dense) return tg::dense<W>(tg::concat(a, b));
    else if constexpr (op == op_kind::shared_dense) return shared_layer<W>()(a);
    else return a * tg::sigmoid(a);  // self_gate: one node, two uses
}

template <std::uint64_t Seed, std::size_t Level, class Pool>
auto grow(const Pool& nodes) {
    if constexpr (Level == dag_spec<Seed>::depth)
        return nodes;
    else
        return grow<Seed, Level + 1>(nodes.push(make_op<Seed, Level>(nodes)));
}

// The scalar loss of DAG `Seed`.
template <std::uint64_t Seed>
auto random_dag() {
    using spec = dag_spec<Seed>;
    constexpr std::size_t W = spec::width;
    const auto x = tg::input<4>;
    const auto u = tg::named_input<"u", 3>;
    const auto stems = pool<>{}.push(tg::dense<W>(x)).push(tg::tanh(tg::dense<W>(u)));
    const auto nodes = grow<Seed, 0>(stems);
    using Pool = std::remove_cvref_t<decltype(nodes)>;
    constexpr std::size_t n = Pool::size;
    const auto out = [&] {
        if constexpr (spec::shared_tail)
            return shared_layer<W>()(nodes.newest) + shared_layer<W>()(nodes.template element<0>());
        else
            return nodes.newest;
    }();
    // An earlier node for the second head of two losses (often also inside `out`: a reused value).
    const auto& other = nodes.template element<draw(Seed, 4, n)>();

    const auto data_loss = [&] {
        if constexpr (spec::loss == loss_kind::mse)
            return tg::mse_loss(tg::dense<3>(out), tg::target<3>);
        else if constexpr (spec::loss == loss_kind::cross_entropy)
            return tg::cross_entropy(tg::dense<3>(out), tg::labels<3>);
        else if constexpr (spec::loss == loss_kind::sum_of_squares)
            return 0.5 * tg::sum(tg::square(out));
        else if constexpr (spec::loss == loss_kind::binary_cross_entropy)
            return tg::binary_cross_entropy(tg::dense<3>(out), tg::target<3>);
        else  // two losses added with weights, the second one of an earlier node
            return 0.7 * tg::mse_loss(tg::dense<3>(out), tg::target<3>) + 0.3 * tg::cross_entropy(tg::dense<3>(other), tg::labels<3>);
    }();
    if constexpr (spec::penalty == penalty_kind::l2)
        return data_loss + 1e-2 * tg::l2_penalty(tg::weights_of(out));
    else if constexpr (spec::penalty == penalty_kind::l1)
        return data_loss + 1e-2 * tg::l1_penalty(tg::weights_of(out));
    else
        return data_loss;
}

// ---- an independent count of the structure, from the expression ----

struct structure {
    std::size_t distinct_nodes = 0;  // leaves and computed nodes, each once: the graph's slots
    std::size_t computed_nodes = 0;  // distinct computed nodes (values)
    std::size_t computed_uses = 0;   // uses of computed nodes (edges into them, and the root)
    std::size_t parameters = 0;      // what the graph should hold: each layer once, each name once
    std::size_t shared_layer_nodes = 0;  // distinct nodes of the named layer (two or more: weight sharing)
    std::size_t deepest_reuse = 0;   // the longest chain of nodes each used more than once
    bool reuses_a_layer = false;          // a node with parameters used more than once
    bool twin_layers = false;             // two distinct layers of the same type (the type alone cannot tell them apart)
    bool reuses_a_value() const { return computed_uses > computed_nodes; }
    bool shares_weights() const { return shared_layer_nodes >= 2; }
};

// A walk of its own (recursive, by identity), independent of tg::visit_dag and the graph's.
struct structure_walk {
    structure s;
    std::map<tg::node_id, std::size_t> uses;
    std::map<tg::node_id, std::size_t> reuse_depth;  // longest chain of reused nodes ending here
    std::set<tg::node_id> parameterised;
    std::set<std::string_view> names;
    std::map<std::string, std::set<tg::node_id>> layers_by_type;
    std::set<std::pair<std::string, tg::node_id>> leaves;

    template <class Op, auto... In>
    void walk(const tg::node<Op, In...>& node) {
        using N = tg::node<Op, In...>;
        if constexpr (N::feed != tg::feed_kind::none) {
            leaves.insert({typeid(N).name(), 0});
            return;
        } else {
            ++s.computed_uses;
            if (uses[node.id]++ > 0) return;  // visited: count the use only
            [&]<std::size_t... I>(std::index_sequence<I...>) { (walk(node.template input<I>()), ...); }(std::make_index_sequence<sizeof...(In)>{});
            if constexpr (N::own_parameter_count > 0) {
                constexpr std::string_view name = tg::layer_name_of<Op>();
                if (name == "shared") ++s.shared_layer_nodes;
                const bool counts = name.empty() ? parameterised.insert(node.id).second : names.insert(name).second;
                if (counts) s.parameters += N::own_parameter_count;
                if (name.empty()) layers_by_type[typeid(N).name()].insert(node.id);  // a name's uses share their weights
            }
        }
    }
    // After the walk: the depth of reuse, from the use counts.
    template <class Op, auto... In>
    std::size_t depth_of(const tg::node<Op, In...>& node) {
        if constexpr (sizeof...(In) == 0) {
            return 0;
        } else {
            if (auto it = reuse_depth.find(node.id); it != reuse_depth.end()) return it->second;
            std::size_t below = 0;
            [&]<std::size_t... I>(std::index_sequence<I...>) { ((below = std::max(below, depth_of(node.template input<I>()))), ...); }(
                std::make_index_sequence<sizeof...(In)>{});
            const std::size_t depth = below + (uses[node.id] > 1 ? 1 : 0);
            reuse_depth[node.id] = depth;
            return depth;
        }
    }
};

template <class Loss>
structure structure_of(const Loss& loss) {
    structure_walk w;
    w.walk(loss);
    w.s.computed_nodes = w.uses.size();
    w.s.distinct_nodes = w.uses.size() + w.leaves.size();
    for (const auto& [id, count] : w.uses)
        if (count > 1 && w.parameterised.contains(id)) w.s.reuses_a_layer = true;
    for (const auto& [type, ids] : w.layers_by_type) w.s.twin_layers = w.s.twin_layers || ids.size() > 1;
    w.s.deepest_reuse = w.depth_of(loss);
    return w.s;
}

// ---- checks ----
// The per-seed template only computes; the assertions live in one non-template function (Boost.Test
// macros instantiated once per DAG would dominate this file's compile time).

struct dag_result {
    std::uint64_t seed = 0;
    std::size_t width = 0, depth = 0;
    int loss_kind = 0, penalty_kind = 0;
    structure shape;
    std::size_t tape_positions = 0;      // the graph's position_count (distinct node types)
    std::size_t graph_nodes = 0;         // the graph's node_count() (slots)
    std::size_t graph_parameters = 0;    // graph::parameter_count()
    std::size_t type_parameters = 0;     // the loss type's parameter_count
    tg::gradient_check_result check;
    double loss = 0;
    double input_error = 0;
    double largest_input_gradient = 0;
    bool plans_agree = false;        // the lean memory plan (in place, shared gradients) gives the bits of keep_intermediates()
    bool plan_saves_memory = false;  // ... in a smaller arena
};

struct summary {
    std::vector<dag_result> results;
    ~summary() {
        if (results.empty()) return;
        auto worst = std::max_element(results.begin(), results.end(), [](const dag_result& a, const dag_result& b) {
            return a.check.max_relative_error < b.check.max_relative_error;
        });
        auto worst_input = std::max_element(results.begin(), results.end(),
                                            [](const dag_result& a, const dag_result& b) { return a.input_error < b.input_error; });
        std::size_t reuse = 0, sharing = 0, positions = 0, parameters = 0, leaner = 0, deepest = 0;
        for (const auto& r : results)
            reuse += r.shape.reuses_a_value(), sharing += r.shape.shares_weights(), positions += r.tape_positions, parameters += r.check.checked,
                leaner += r.plan_saves_memory, deepest = std::max(deepest, r.shape.deepest_reuse);
        std::cout << "test_random_dags: " << results.size() << " DAGs checked (" << reuse << " reuse a value, " << sharing
                  << " share a named layer, the deepest " << deepest << " levels of reuse; " << positions << " tape positions, " << parameters
                  << " parameters in all; " << leaner << " in a smaller arena than keep_intermediates() gives, with the same bits); worst parameter relative error " << worst->check.max_relative_error << " (seed "
                  << worst->seed << "), worst input relative error " << worst_input->input_error << " (seed " << worst_input->seed
                  << ")\n";
    }
} report;

// Gradient of the loss with respect to a bound input, against central finite differences (the bound
// values are perturbed in place), and the largest gradient element (which must not be zero).
template <class G, class Leaf>
std::pair<double, double> input_gradient_error(G& g, const Leaf& leaf, std::vector<double>& values) {
    const tg::gradient_check_result r = tg::input_gradient_check(g, leaf, std::span<double>(values), batch, fd_step);
    double largest = 0;
    for (double v : g.gradient(leaf).flat()) largest = std::max(largest, std::abs(v));
    return {r.max_relative_error, largest};
}

std::vector<double> uniform_values(tg::random_generator& rng, std::size_t n, double lo, double hi) {
    std::vector<double> v(n);
    for (auto& e : v) e = rng.uniform(lo, hi);
    return v;
}

template <std::uint64_t Seed>
dag_result check_dag() {
    using Loss = decltype(random_dag<Seed>());
    const Loss loss = random_dag<Seed>();
    auto g = tg::compile<double>(loss);
    g.initialize(Seed);
    tg::random_generator rng{Seed ^ 0x5eed};
    for (auto& p : g.parameters()) p += rng.uniform(-0.1, 0.1);  // biases away from their initial zeros

    std::vector<double> xs = uniform_values(rng, batch * 4, -1, 1), us = uniform_values(rng, batch * 3, -1, 1),
                        ts = uniform_values(rng, batch * 3, 0, 1);
    std::vector<std::int32_t> ls(batch);
    for (auto& l : ls) l = static_cast<std::int32_t>(rng.below(3));
    constexpr bool has_x = contains<Loss, x_leaf>, has_u = contains<Loss, u_leaf>;
    static_assert(has_x || has_u, "every DAG reads an input");
    if constexpr (has_x) g.bind(tg::input<4>, std::span<const double>(xs));
    if constexpr (has_u) g.bind(tg::named_input<"u", 3>, std::span<const double>(us));
    if constexpr (contains<Loss, target_leaf>) g.bind(tg::target<3>, std::span<const double>(ts));
    if constexpr (contains<Loss, labels_leaf>) g.bind(tg::labels<3>, std::span<const std::int32_t>(ls));

    dag_result r;
    r.seed = Seed;
    r.width = dag_spec<Seed>::width;
    r.depth = dag_spec<Seed>::depth;
    r.loss_kind = int(dag_spec<Seed>::loss);
    r.penalty_kind = int(dag_spec<Seed>::penalty);
    r.shape = structure_of(loss);
    r.tape_positions = decltype(g)::position_count;
    r.graph_nodes = g.node_count();
    r.graph_parameters = g.parameter_count();
    r.type_parameters = Loss::parameter_count;
    r.check = tg::gradient_check(g, batch, fd_step);
    r.loss = g.loss();
    {
        auto kept = tg::compile<double>(loss);
        kept.keep_intermediates();
        std::ranges::copy(g.parameters(), kept.parameters().begin());
        if constexpr (has_x) kept.bind(tg::input<4>, std::span<const double>(xs));
        if constexpr (has_u) kept.bind(tg::named_input<"u", 3>, std::span<const double>(us));
        if constexpr (contains<Loss, target_leaf>) kept.bind(tg::target<3>, std::span<const double>(ts));
        if constexpr (contains<Loss, labels_leaf>) kept.bind(tg::labels<3>, std::span<const std::int32_t>(ls));
        for (auto* graph : {&g, &kept}) {
            graph->forward(batch);
            graph->backward();
        }
        r.plans_agree = g.loss() == kept.loss() && std::ranges::equal(g.gradients(), kept.gradients());
        r.plan_saves_memory = g.arena_size() < kept.arena_size();
    }
    if constexpr (has_x)
        std::tie(r.input_error, r.largest_input_gradient) = input_gradient_error(g, tg::input<4>, xs);
    else
        std::tie(r.input_error, r.largest_input_gradient) = input_gradient_error(g, tg::named_input<"u", 3>, us);
    return r;
}

void expect_correct(const dag_result& r) {
    BOOST_TEST_CONTEXT("random_dag<" << r.seed << ">: width " << r.width << ", depth " << r.depth << ", " << r.tape_positions
                                      << " positions, loss kind " << r.loss_kind << ", penalty kind " << r.penalty_kind) {
        // Structure: one slot per distinct node; a value or a layer used twice is one node, counted once,
        // by the graph and by the type (which cannot tell two layers of one type on one input apart).
        BOOST_TEST(r.shape.distinct_nodes == r.graph_nodes);
        BOOST_TEST(r.tape_positions <= r.graph_nodes);
        BOOST_TEST(r.graph_parameters == r.shape.parameters);
        if (r.shape.twin_layers)
            BOOST_TEST(r.type_parameters < r.graph_parameters);
        else
            BOOST_TEST(r.type_parameters == r.graph_parameters);
        // Gradients.
        BOOST_TEST(std::isfinite(r.loss));
        BOOST_TEST(r.check.checked == r.graph_parameters);
        BOOST_TEST(r.check.checked > 0u);
        BOOST_TEST_INFO("worst parameter " << r.check.worst_index << ": analytic " << r.check.analytic << ", numeric " << r.check.numeric);
        BOOST_TEST(r.check.max_relative_error <= tolerance);
        BOOST_TEST(r.largest_input_gradient > 0.0);
        BOOST_TEST(r.input_error <= (r.depth >= 16 ? deep_input_tolerance : tolerance));
        BOOST_TEST(r.plans_agree);
    }
}

constexpr std::uint64_t first_seed = 1000;
constexpr std::size_t shallow_count = 52, deep_count = 12, dag_count = shallow_count + deep_count;

template <std::size_t I>
constexpr std::uint64_t seed_of = I < shallow_count ? first_seed + I : deep_seeds + (I - shallow_count);

template <std::size_t... I>
constexpr auto make_checks(std::index_sequence<I...>) {
    return std::array<dag_result (*)(), sizeof...(I)>{&check_dag<seed_of<I>>...};
}
constexpr auto dag_checks = make_checks(std::make_index_sequence<dag_count>{});

template <std::size_t... I>
std::vector<structure> all_structures(std::index_sequence<I...>) {
    return {structure_of(random_dag<seed_of<I>>())...};
}

}  // namespace

// One test case per DAG.
BOOST_DATA_TEST_CASE(random_dag_gradients, boost::unit_test::data::xrange(dag_count), index) {
    report.results.push_back(dag_checks[index]());
    expect_correct(report.results.back());
}

// The generator exercises what the test is for: reuse of values, shared named layers, every loss.
BOOST_AUTO_TEST_CASE(generator_coverage) {
    const auto structures = all_structures(std::make_index_sequence<dag_count>{});
    std::size_t reuse = 0, sharing = 0, layer_reuse = 0, large = 0, deep_reuse = 0, twins = 0;
    for (const auto& s : structures) {
        reuse += s.reuses_a_value();
        sharing += s.shares_weights();
        layer_reuse += s.reuses_a_layer;
        large += s.distinct_nodes >= 20;
        deep_reuse += s.deepest_reuse >= 16;
        twins += s.twin_layers;
    }
    BOOST_TEST_MESSAGE("DAGs reusing a value: " << reuse << ", sharing a named layer: " << sharing << ", reusing a layer node: " << layer_reuse
                                                << ", with 20+ nodes: " << large << ", with 16+ levels of reuse: " << deep_reuse
                                                << ", with two layers of one type: " << twins);
    BOOST_TEST(reuse >= 25u);
    BOOST_TEST(sharing >= 15u);
    BOOST_TEST(layer_reuse >= 5u);
    BOOST_TEST(large >= 12u);
    BOOST_TEST(deep_reuse >= 10u);
    BOOST_TEST(twins >= 1u);
    std::array<int, 5> losses{};
    std::array<int, 3> penalties{};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((++losses[std::size_t(dag_spec<seed_of<I>>::loss)], ++penalties[std::size_t(dag_spec<seed_of<I>>::penalty)]), ...);
    }(std::make_index_sequence<dag_count>{});
    for (int count : losses) BOOST_TEST(count > 0);
    for (int count : penalties) BOOST_TEST(count > 0);
}

// ---- structural facts, on small hand-written graphs ----

template <class G>
std::span<double> layer_parameters(G& g, const auto& layer) {
    return g.parameters_of(layer);
}
template <class G>
std::span<const double> layer_gradients(G& g, const auto& layer) {
    const auto params = g.parameters_of(layer);
    return std::span<const double>(g.gradients()).subspan(static_cast<std::size_t>(params.data() - g.parameters().data()), params.size());
}
double sum_of_abs(std::span<const double> values) {
    double total = 0;
    for (double v : values) total += std::abs(v);
    return total;
}

// A value used three times (h * h + h) is one node: its layer's parameters are counted once, the
// tape holds one position for it, and its gradient is the sum over the uses. The sum is checked
// against a twin graph in which each use is a separate layer holding the same weights.
BOOST_AUTO_TEST_CASE(reused_value_is_one_node) {
    const auto x = tg::input<5>;
    const auto t = tg::target<3>;
    const auto inner = tg::dense<4>(x);
    const auto h = tg::tanh(inner);
    const auto head = tg::dense<3>(h * h + h);
    auto g = tg::compile<double>(tg::mse_loss(head, t));
    static_assert(decltype(head)::parameter_count == 24 + 15, "the type counts the node once");
    // x, dense, tanh (once each), *, +, head, target, loss
    static_assert(decltype(g)::position_count == 8, "one tape position per distinct node");
    BOOST_TEST(g.parameter_count() == 24u + 15u);  // the graph counts the node once

    const auto i1 = tg::dense<4>(x), i2 = tg::dense<4>(x), i3 = tg::dense<4>(x);
    const auto head2 = tg::dense<3>(tg::tanh(i1) * tg::tanh(i2) + tg::tanh(i3));
    auto twin = tg::compile<double>(tg::mse_loss(head2, t));
    BOOST_TEST(twin.parameter_count() == 3 * 24u + 15u);

    tg::random_generator rng{7};
    const std::vector<double> xs = uniform_values(rng, batch * 5, -1, 1), ts = uniform_values(rng, batch * 3, -1, 1);
    for (auto& p : g.parameters()) p += rng.uniform(-0.1, 0.1);
    for (const auto* layer : {&i1, &i2, &i3}) std::ranges::copy(layer_parameters(g, inner), layer_parameters(twin, *layer).begin());
    std::ranges::copy(layer_parameters(g, head), layer_parameters(twin, head2).begin());
    g.bind(x, std::span<const double>(xs));
    g.bind(t, std::span<const double>(ts));
    twin.bind(x, std::span<const double>(xs));
    twin.bind(t, std::span<const double>(ts));
    g.forward(batch);
    g.backward();
    twin.forward(batch);
    twin.backward();
    BOOST_TEST(g.loss() == twin.loss(), boost::test_tools::tolerance(1e-14));
    const auto shared = layer_gradients(g, inner);
    const auto g1 = layer_gradients(twin, i1), g2 = layer_gradients(twin, i2), g3 = layer_gradients(twin, i3);
    BOOST_TEST(sum_of_abs(g1) > 0.0);
    BOOST_TEST(sum_of_abs(g2) > 0.0);
    BOOST_TEST(sum_of_abs(g3) > 0.0);
    for (std::size_t i = 0; i < shared.size(); ++i) BOOST_TEST(shared[i] == g1[i] + g2[i] + g3[i], boost::test_tools::tolerance(1e-12));

    const auto r = tg::gradient_check(g, batch, fd_step);
    BOOST_TEST(r.max_relative_error <= tolerance);
    BOOST_TEST(r.checked == 39u);
}

// A named layer used twice shares one set of weights: counted once, both uses contribute gradient
// (the shared gradient is the sum of the gradients of two separate layers holding the same weights).
BOOST_AUTO_TEST_CASE(named_layer_used_twice_shares_weights) {
    const auto a = tg::named_input<"a", 5>;
    const auto b = tg::named_input<"b", 5>;
    const auto t = tg::target<3>;
    const auto ea = tg::dense<4>.named<"enc">()(a);
    const auto eb = a | tg::dense<4>.named<"enc">();  // a second use of the name, here on the same input
    const auto ec = tg::dense<4>.named<"enc">()(b);
    const auto head = tg::dense<3>(tg::tanh(ea) * tg::sigmoid(ec) + eb);
    auto g = tg::compile<double>(tg::mse_loss(head, t));
    static_assert(decltype(head)::parameter_count == 24 + 15, "a name's weights count once");
    BOOST_TEST(g.parameter_count() == 24u + 15u);
    BOOST_TEST(g.parameters_of(ea).data() == g.parameters_of(eb).data());
    BOOST_TEST(g.parameters_of(ea).data() == g.parameters_of(ec).data());

    const auto i1 = tg::dense<4>(a);
    const auto i2 = tg::dense<4>(a);
    const auto i3 = tg::dense<4>(b);
    const auto head2 = tg::dense<3>(tg::tanh(i1) * tg::sigmoid(i3) + i2);
    auto twin = tg::compile<double>(tg::mse_loss(head2, t));

    tg::random_generator rng{8};
    const std::vector<double> as = uniform_values(rng, batch * 5, -1, 1), bs = uniform_values(rng, batch * 5, -1, 1),
                              ts = uniform_values(rng, batch * 3, -1, 1);
    for (auto& p : g.parameters()) p += rng.uniform(-0.1, 0.1);
    std::ranges::copy(layer_parameters(g, ea), layer_parameters(twin, i1).begin());
    std::ranges::copy(layer_parameters(g, ea), layer_parameters(twin, i2).begin());
    std::ranges::copy(layer_parameters(g, ea), layer_parameters(twin, i3).begin());
    std::ranges::copy(layer_parameters(g, head), layer_parameters(twin, head2).begin());
    g.bind(a, std::span<const double>(as));
    g.bind(b, std::span<const double>(bs));
    g.bind(t, std::span<const double>(ts));
    twin.bind(a, std::span<const double>(as));
    twin.bind(b, std::span<const double>(bs));
    twin.bind(t, std::span<const double>(ts));
    g.forward(batch);
    g.backward();
    twin.forward(batch);
    twin.backward();
    BOOST_TEST(g.loss() == twin.loss(), boost::test_tools::tolerance(1e-14));
    const auto shared = layer_gradients(g, ea);
    const auto g1 = layer_gradients(twin, i1), g2 = layer_gradients(twin, i2), g3 = layer_gradients(twin, i3);
    BOOST_TEST(sum_of_abs(g1) > 0.0);
    BOOST_TEST(sum_of_abs(g2) > 0.0);
    BOOST_TEST(sum_of_abs(g3) > 0.0);
    for (std::size_t i = 0; i < shared.size(); ++i) BOOST_TEST(shared[i] == g1[i] + g2[i] + g3[i], boost::test_tools::tolerance(1e-12));

    const auto r = tg::gradient_check(g, batch, fd_step);
    BOOST_TEST(r.max_relative_error <= tolerance);
    BOOST_TEST(r.checked == 39u);
}

// Rebuilding an expression makes new layers; copying it keeps the node (and its weights).
BOOST_AUTO_TEST_CASE(copies_share_rebuilt_expressions_do_not) {
    const auto x = tg::input<5>;
    const auto h = tg::dense<4>(x);
    const auto copy = h;
    auto shared = tg::compile<double>(tg::sum(h * copy));
    BOOST_TEST(shared.parameter_count() == 24u);
    auto separate = tg::compile<double>(tg::sum(tg::dense<4>(x) * tg::dense<4>(x)));
    BOOST_TEST(separate.parameter_count() == 48u);
}

// Two uses of one layer name must have the same layout, not only the same parameter count:
// tg::dense<4>.named<"enc">() on 5 inputs (weight [4, 5] + bias 4 = 24) and tg::dense<3>.named<"enc">()
// on 7 inputs (weight [3, 7] + bias 3 = 24) would otherwise share one block, each reading it with its
// own layout.
BOOST_AUTO_TEST_CASE(named_layer_with_different_shapes_is_rejected) {
    const auto a = tg::dense<4>.named<"enc">()(tg::named_input<"a", 5>);
    const auto b = tg::dense<3>.named<"enc">()(tg::named_input<"b", 7>);
    BOOST_CHECK_THROW(tg::compile<double>(tg::sum(a) + tg::sum(b)), std::invalid_argument);
    const auto c = tg::dense<4>.named<"enc">()(tg::named_input<"c", 6>);  // 28 parameters
    BOOST_CHECK_THROW(tg::compile<double>(tg::sum(a) + tg::sum(c)), std::invalid_argument);
}

