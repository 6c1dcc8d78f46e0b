/* Chinese for the words bpmn-js, diagram-js, the properties panel, dmn-js and bpmnlint put on the
 * screen (their `translate` service). A string not listed here is shown as it is. */

const WORDS = {
  // palette, context pad, tools (bpmn-js / diagram-js)
  'Activate hand tool': '抓手工具',
  'Activate lasso tool': '套索选择工具',
  'Activate create/remove space tool': '插入/删除空白工具',
  'Activate global connect tool': '连线工具',
  'Create start event': '添加开始事件',
  'Create intermediate/boundary event': '添加中间/边界事件',
  'Create end event': '添加结束事件',
  'Create gateway': '添加网关',
  'Create task': '添加任务',
  'Create data object reference': '添加数据对象',
  'Create data store reference': '添加数据存储',
  'Create expanded sub-process': '添加展开的子流程',
  'Create pool/participant': '添加池/参与者',
  'Create group': '添加分组',
  'Append task': '追加任务',
  'Append end event': '追加结束事件',
  'Append gateway': '追加网关',
  'Append intermediate/boundary event': '追加中间/边界事件',
  'Append compensation activity': '追加补偿活动',
  'Append receive task': '追加接收任务',
  'Append message intermediate catch event': '追加消息捕获事件',
  'Append timer intermediate catch event': '追加定时器事件',
  'Append conditional intermediate catch event': '追加条件捕获事件',
  'Append signal intermediate catch event': '追加信号捕获事件',
  'Add text annotation': '添加注释',
  'Add lane above': '在上方添加泳道',
  'Add lane below': '在下方添加泳道',
  'Divide into two lanes': '分为两条泳道',
  'Divide into three lanes': '分为三条泳道',
  'Change element': '更改元素类型',
  'Change type': '更改类型',
  'Connect to other element': '连接到其他元素',
  'Connect using association': '用关联连接',
  'Connect using data input association': '用数据输入关联连接',
  'Delete': '删除',
  'Align elements': '对齐元素',
  'Distribute elements horizontally': '水平均匀分布',
  'Distribute elements vertically': '垂直均匀分布',
  'Toggle non-interrupting': '切换为非中断',
  'Open {element}': '打开 {element}',
  'Search in diagram': '在流程图中搜索',
  'Search': '搜索',
  'No matching entries found.': '没有匹配的结果。',
  'Loop': '循环',
  'Parallel multi-instance': '并行多实例',
  'Sequential multi-instance': '串行多实例',
  'Collection': '集合',
  'Participant multiplicity': '参与者多重性',
  // replace menu
  'Task': '任务', 'User task': '用户任务', 'Service task': '服务任务', 'Script task': '脚本任务',
  'Business rule task': '业务规则任务', 'Manual task': '人工任务', 'Send task': '发送任务',
  'Receive task': '接收任务', 'Call activity': '调用活动',
  'Sub-process (collapsed)': '子流程（折叠，阶段）', 'Sub-process (expanded)': '子流程（展开）',
  'Sub-process': '子流程', 'Event sub-process': '事件子流程', 'Transaction': '事务',
  'Ad-hoc sub-process': '自由子流程', 'Ad-hoc sub-process (collapsed)': '自由子流程（折叠）',
  'Ad-hoc sub-process (expanded)': '自由子流程（展开）',
  'Start event': '开始事件', 'End event': '结束事件', 'Intermediate throw event': '中间抛出事件',
  'Boundary event': '边界事件', 'Terminate end event': '终止结束事件',
  'Timer start event': '定时开始事件', 'Timer intermediate catch event': '定时器中间事件',
  'Timer boundary event': '定时器边界事件', 'Timer boundary event (non-interrupting)': '定时器边界事件（非中断）',
  'Timer start event (non-interrupting)': '定时开始事件（非中断）',
  'Message start event': '消息开始事件', 'Message intermediate catch event': '消息捕获事件',
  'Message intermediate throw event': '消息抛出事件', 'Message end event': '消息结束事件',
  'Message boundary event': '消息边界事件', 'Message boundary event (non-interrupting)': '消息边界事件（非中断）',
  'Message start event (non-interrupting)': '消息开始事件（非中断）',
  'Signal start event': '信号开始事件', 'Signal intermediate catch event': '信号捕获事件',
  'Signal intermediate throw event': '信号抛出事件', 'Signal end event': '信号结束事件',
  'Signal boundary event': '信号边界事件', 'Signal boundary event (non-interrupting)': '信号边界事件（非中断）',
  'Signal start event (non-interrupting)': '信号开始事件（非中断）',
  'Error start event': '错误开始事件', 'Error end event': '错误结束事件', 'Error boundary event': '错误边界事件',
  'Escalation start event': '升级开始事件', 'Escalation end event': '升级结束事件',
  'Escalation boundary event': '升级边界事件', 'Escalation intermediate throw event': '升级抛出事件',
  'Escalation boundary event (non-interrupting)': '升级边界事件（非中断）',
  'Escalation start event (non-interrupting)': '升级开始事件（非中断）',
  'Conditional start event': '条件开始事件', 'Conditional intermediate catch event': '条件捕获事件',
  'Conditional boundary event': '条件边界事件', 'Conditional boundary event (non-interrupting)': '条件边界事件（非中断）',
  'Conditional start event (non-interrupting)': '条件开始事件（非中断）',
  'Compensation start event': '补偿开始事件', 'Compensation end event': '补偿结束事件',
  'Compensation boundary event': '补偿边界事件', 'Compensation intermediate throw event': '补偿抛出事件',
  'Cancel boundary event': '取消边界事件', 'Cancel end event': '取消结束事件',
  'Link intermediate catch event': '链接捕获事件', 'Link intermediate throw event': '链接抛出事件',
  'Exclusive gateway': '排他网关', 'Parallel gateway': '并行网关', 'Inclusive gateway': '包容网关',
  'Complex gateway': '复杂网关', 'Event-based gateway': '事件网关',
  'Sequence flow': '顺序流', 'Default flow': '默认流', 'Conditional flow': '条件流',
  'Data object reference': '数据对象', 'Data store reference': '数据存储',
  'Empty pool/participant': '空的池/参与者', 'Empty pool/participant (removes content)': '空的池/参与者（移除内容）',
  'Expanded pool/participant': '展开的池/参与者',
  // properties panel (bpmn-js-properties-panel, standard BPMN provider)
  'General': '基本信息', 'Name': '名称', 'ID': '标识（id）', 'Documentation': '说明',
  'Element documentation': '元素说明', 'Process documentation': '流程说明',
  'Executable': '可执行', 'Process ID': '流程标识', 'Process name': '流程名称', 'Participant Name': '参与者名称',
  'Select an element to edit its properties.': '选择一个元素以编辑其属性。',
  'Multiple elements are selected. Select a single element to edit its properties.': '已选中多个元素，请只选择一个元素编辑属性。',
  'ID must not be empty.': '标识不能为空。', 'ID must be unique.': '标识必须唯一。',
  'ID must not contain spaces.': '标识不能包含空格。', 'ID must not contain prefix.': '标识不能包含前缀。',
  'ID must be a valid QName.': '标识须为合法的 QName（字母开头，可含字母、数字、_、-、.）。',
  'Timer': '定时器', 'Type': '类型', 'Value': '值', 'Date': '日期', 'Duration': '时长', 'Cycle': '循环',
  '<none>': '（无）',
  'Documentation: Timer events': '说明：定时器事件',
  'A specific point in time defined as ISO 8601 combined date and time representation.': '某一时刻：ISO 8601 日期时间，或 govflow 的表达式（如 add_workdays(10)）。',
  'A time duration defined as ISO 8601 durations format.': '一段时长：带引号的 ISO 8601 时长，如 "P30D"；"P10WD" 为 10 个法定工作日。',
  'A cycle defined as ISO 8601 repeating intervals format.': '循环：带引号的 ISO 8601 重复间隔，如 "R6/P7D"。',
  'UTC time': 'UTC 时间', 'UTC plus 2 hours zone offset': 'UTC+2 时区', '14 days': '14 天',
  '1 hour and 30 minutes': '1 小时 30 分钟', '15 seconds': '15 秒', 'every 10 seconds, up to 5 times': '每 10 秒一次，最多 5 次',
  'every day, infinitely': '每天一次，不限次数',
  'Multi-instance': '多实例', 'Loop cardinality': '循环次数', 'Completion condition': '完成条件',
  'Message': '消息', 'Signal': '信号', 'Error': '错误', 'Escalation': '升级', 'Compensation': '补偿', 'Link': '链接',
  'Code': '代码', 'Global message reference': '全局消息', 'Global signal reference': '全局信号',
  'Global error reference': '全局错误', 'Global escalation reference': '全局升级', 'Create new ...': '新建…',
  'Activity reference': '活动引用', 'Wait for completion': '等待完成', 'Cancel remaining instances': '取消其余实例',
  'Completion': '完成',
  // bpmnlint overlays (bpmn-js-bpmnlint) and the messages of the recommended rules
  'Toggle linting overlays': '显示/隐藏规范检查标记',
  '{errors} Errors, {warnings} Warnings': '规范检查：{errors} 个错误，{warnings} 个警告',
  'No Issues': '规范检查：无问题',
  'Issues for child elements': '子元素的问题',
  'Element is missing label/name': '元素缺少名称',
  'Element is missing name': '元素缺少名称',
  'Element is missing bpmndi': '元素没有图形（缺少 BPMNDI）',
  'Element is outside of parent boundary': '元素超出了所属容器的边界',
  'Element overlaps with other element': '元素与其他元素重叠',
  'Element is not connected': '元素没有连线',
  'Element is an implicit end': '元素没有出口（隐式结束），请连到结束事件',
  'Element is an implicit start': '元素没有入口（隐式开始）',
  'Element is unused': '元素未被使用',
  'Element name is not unique': '元素名称重复',
  'Flow splits implicitly': '隐式分支：从任务直接分出多条流，请改用网关',
  'Gateway forks and joins': '网关同时汇合和分支，请拆成两个网关',
  'Gateway is superfluous. It only has one source and target.': '多余的网关：只有一个入口和一个出口',
  'Incoming flows do not join': '多条流进入一个任务而未经网关汇合',
  'Sequence flow has superfluous label': '顺序流的名称多余',
  'Sequence flow is missing condition': '网关分出的顺序流缺少条件',
  'SequenceFlow is a duplicate': '重复的顺序流',
  'Duplicate outgoing sequence flows': '重复的出口顺序流',
  'Duplicate incoming sequence flows': '重复的入口顺序流',
  'Termination is superfluous.': '终止结束事件多余',
  'Event has multiple event definitions': '事件有多个事件定义',
  'Start event is missing event definition': '开始事件缺少事件定义',
  'Start event must be blank': '开始事件必须为空白开始事件',
  'Link event is missing link name': '链接事件缺少链接名称',
  'Conditional event is missing a condition': '条件事件缺少条件',
  'An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>': '事件网关至少需要两条出口顺序流',
  'A <Sequence Flow> outgoing from an <Event-based Gateway> must not be conditional': '事件网关的出口顺序流不能带条件',
  'A <Start Event> is not allowed in <Ad Hoc Sub Process>': '自由子流程中不允许开始事件',
  'An <End Event> is not allowed in <Ad Hoc Sub Process>': '自由子流程中不允许结束事件',
  // dmn-js (decision tables)
  'Hit policy': '命中策略', 'Hit policy:': '命中策略：', 'When': '条件', 'And': '且', 'Then': '则',
  'Annotation': '备注', 'Annotations': '备注', 'Input': '输入', 'Output': '输出',
  'Add rule': '添加规则', 'Add rule above': '在上方添加规则', 'Add rule below': '在下方添加规则',
  'Remove rule': '删除规则', 'Copy rule': '复制规则', 'Cut rule': '剪切规则', 'Move rule': '移动规则',
  'Paste rule above': '粘贴到上方', 'Paste rule below': '粘贴到下方',
  'Add input': '添加输入', 'Add output': '添加输出',
  'Add input column left': '在左侧添加输入列', 'Add input column right': '在右侧添加输入列',
  'Add output column left': '在左侧添加输出列', 'Add output column right': '在右侧添加输出列',
  'Remove input column': '删除输入列', 'Remove output column': '删除输出列',
  'Copy input column': '复制输入列', 'Copy output column': '复制输出列',
  'Cut input column': '剪切输入列', 'Cut output column': '剪切输出列',
  'Paste input column left': '粘贴到左侧', 'Paste input column right': '粘贴到右侧',
  'Paste output column left': '粘贴到左侧', 'Paste output column right': '粘贴到右侧',
  'Add cell description': '添加单元格说明', 'Remove cell description': '删除单元格说明',
  'Edit input': '编辑输入', 'Edit output': '编辑输出', 'Edit': '编辑',
  'Input label': '输入标签', 'Input label: ': '输入标签：', 'Input expression': '输入表达式',
  'Input expression: ': '输入表达式：', 'Input type': '输入类型', 'Input values': '输入取值',
  'Output label': '输出标签', 'Output label: ': '输出标签：', 'Output name': '输出变量名',
  'Output name: ': '输出变量名：', 'Output type': '输出类型', 'Output values': '输出取值',
  'Expression language': '表达式语言', 'Expression language: {expressionLanguageLabel}': '表达式语言：{expressionLanguageLabel}',
  'Change cell expression language': '更改单元格表达式语言', 'Expression': '表达式', 'Enter expression': '输入表达式',
  'Editing not supported for set expression language': '此表达式语言不支持可视化编辑',
  'Predefined values': '预设取值', 'Add predefined values': '添加预设取值', 'Clear predefined values': '清除预设取值',
  'Add values': '添加取值', 'No values': '无取值', 'Values': '取值', 'Custom values': '自定义取值',
  'Strings must be in double quotes': '字符串须加双引号',
  'Edit string': '编辑字符串', 'Edit number': '编辑数字', 'Edit boolean': '编辑布尔值',
  'Edit date': '编辑日期', 'Edit time': '编辑时间', 'Edit date and time': '编辑日期时间', 'Edit duration': '编辑时长',
  'Match one': '匹配任一', 'Match none': '都不匹配', 'Include': '包含', 'Exclude': '排除',
  'Comparison': '比较', 'Comparison operator': '比较运算符', 'Range': '区间', 'Equals': '等于',
  'Less': '小于', 'Less or equals': '小于等于', 'Greater': '大于', 'Greater or equals': '大于等于',
  'Test type': '判断方式', 'Exactly': '恰好', 'Before': '早于', 'After': '晚于', 'Between': '介于',
  'Yes': '是', 'No': '否', 'Set value': '设置值', 'Boolean value': '布尔值', 'String value': '字符串',
  'Start value': '起始值', 'End value': '结束值', 'Range start value': '区间起点', 'Range end value': '区间终点',
  'Range start operator': '起点运算符', 'Range end operator': '终点运算符',
  'Decision name': '决策名称', 'Decision name: ': '决策名称：', 'Definition ID': '定义标识', 'Definition name': '定义名称',
  'View DRD': '查看决策需求图', 'Resize': '调整大小',
  'Create decision': '添加决策', 'Create input data': '添加输入数据', 'Create knowledge model': '添加业务知识模型',
  'Create knowledge source': '添加知识来源', 'Append decision': '追加决策', 'Append input data': '追加输入数据',
  'Append business knowledge model': '追加业务知识模型', 'Append knowledge source': '追加知识来源',
  'Date value': '日期', 'Time value': '时间', 'Date and time value': '日期时间', 'Duration value': '时长',
  'Date and time': '日期时间', 'Time': '时间', 'Start date': '开始日期', 'End date': '结束日期',
  'Start time': '开始时间', 'End time': '结束时间', 'Start date and time': '开始日期时间', 'End date and time': '结束日期时间',
  'Set date': '设置日期', 'Set time': '设置时间', 'Set date and time': '设置日期时间', 'Set duration': '设置时长',
  'Use today': '今天', 'Use now': '现在',
  'Unique': '唯一（Unique）', 'First': '首条命中（First）', 'Priority': '优先级（Priority）', 'Any': '任一（Any）',
  'Collect': '汇集（Collect）', 'Collect (Sum)': '汇集求和', 'Collect (Min)': '汇集取最小', 'Collect (Max)': '汇集取最大',
  'Collect (Count)': '汇集计数', 'Rule order': '按规则顺序', 'Output order': '按输出优先级',
  'No overlap is possible and all rules are disjoint. Only a single rule can be matched': '规则互不重叠，只能命中一条',
  'Rules may overlap. The first matching rule will be chosen': '规则可重叠，取第一条命中的规则',
  'Rules may overlap. The one with the highest priority will be chosen': '规则可重叠，取优先级最高的一条',
  'Rules may overlap. Their output have to match': '规则可重叠，命中的规则输出须一致',
  'Collects the values of all matching rules': '汇集所有命中规则的输出',
  'Collects the values of all matching rules and sums up to a single value': '汇集所有命中规则的输出并求和',
  'Collects the values of all matching rules and uses the lowest value': '汇集所有命中规则的输出并取最小值',
  'Collects the values of all matching rules and uses the highest value': '汇集所有命中规则的输出并取最大值',
  'Collects the values of all matching rules and counts the number of them': '统计命中规则的条数',
  'Collects the values of all matching rules in rule order': '按规则顺序汇集所有命中规则的输出',
  'Collects the values of all matching rules in decreasing output priority order': '按输出优先级汇集所有命中规则的输出',
  // properties panel chrome
  'Toggle section': '展开/收起', 'Section contains an error': '此栏有错误', 'Section contains data': '此栏已填写',
  'Open popup': '在弹窗中编辑', 'Close': '关闭'
};

// Element types in the properties panel's header ("User Task", "Timer Boundary Event (Non Interrupting)").
const TYPE_WORDS = [
  ['Business Rule Task', '业务规则任务'], ['User Task', '用户任务'], ['Script Task', '脚本任务'],
  ['Service Task', '服务任务'], ['Send Task', '发送任务'], ['Receive Task', '接收任务'], ['Manual Task', '人工任务'],
  ['Call Activity', '调用活动'], ['Collapsed Sub Process', '子流程（阶段）'], ['Expanded Sub Process', '展开的子流程'],
  ['Event Sub Process', '事件子流程'], ['Sub Process', '子流程'], ['Task', '任务'],
  ['Exclusive Gateway', '排他网关'], ['Parallel Gateway', '并行网关'], ['Inclusive Gateway', '包容网关'],
  ['Event Based Gateway', '事件网关'], ['Complex Gateway', '复杂网关'],
  ['Start Event', '开始事件'], ['End Event', '结束事件'], ['Boundary Event', '边界事件'],
  ['Intermediate Catch Event', '中间捕获事件'], ['Intermediate Throw Event', '中间抛出事件'],
  ['Sequence Flow', '顺序流'], ['Default Flow', '默认流'], ['Conditional Flow', '条件流'], ['Message Flow', '消息流'],
  ['Participant', '池/参与者'], ['Process', '流程'], ['Collaboration', '协作图（总图）'], ['Lane', '泳道'], ['Text Annotation', '注释'], ['Group', '分组'],
  ['Data Object Reference', '数据对象'], ['Data Store Reference', '数据存储'], ['Association', '关联']
];
const PREFIX_WORDS = [['Timer ', '定时器'], ['Message ', '消息'], ['Signal ', '信号'], ['Error ', '错误'],
  ['Escalation ', '升级'], ['Conditional ', '条件'], ['Compensate ', '补偿'], ['Cancel ', '取消'],
  ['Terminate ', '终止'], ['Link ', '链接'], ['Multiple ', '多重'], ['Parallel Multiple ', '并行多重']];

function typeLabel(text) {
  let rest = text.trim();
  let suffix = '';
  const nonInterrupting = /\s*\(Non Interrupting\)$/;
  if (nonInterrupting.test(rest)) { rest = rest.replace(nonInterrupting, ''); suffix = '（非中断）'; }
  let prefix = '';
  for (const [en, zh] of PREFIX_WORDS.slice().reverse()) {
    if (rest.startsWith(en) && TYPE_WORDS.some(([t]) => t === rest.slice(en.length))) {
      prefix = zh; rest = rest.slice(en.length); break;
    }
  }
  const found = TYPE_WORDS.find(([en]) => en === rest);
  return found ? prefix + found[1] + suffix : null;
}

const PATTERNS = [
  [/^(\S+) is missing start event$/, '缺少开始事件'],
  [/^(\S+) is missing end event$/, '缺少结束事件'],
  [/^(\S+) has multiple blank start events$/, '有多个空白开始事件'],
  [/^Element type <([^>]+)> is discouraged$/, (m) => `不建议使用 ${m[1]}`],
  [/^Duplicate link catch event with link name <([^>]*)> in scope$/, (m) => `同一范围内链接名称 ${m[1]} 重复`],
  [/^Link (catch|throw) event with link name <([^>]*)> missing in scope$/, (m) => `缺少与链接名称 ${m[2]} 对应的链接事件`]
];

export function translate(template, replacements) {
  let text = WORDS[template];
  if (text === undefined) {
    text = typeLabel(template);
  }
  if (text == null) {
    for (const [re, zh] of PATTERNS) {
      const m = re.exec(template);
      if (m) { text = typeof zh === 'function' ? zh(m) : zh; break; }
    }
  }
  if (text == null) { text = template; }
  replacements = replacements || {};
  return text.replace(/{([^}]+)}/g, (_, key) => (key in replacements ? replacements[key] : '{' + key + '}'));
}

export const TranslateModule = { translate: ['value', translate] };
